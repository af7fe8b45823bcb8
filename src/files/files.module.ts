import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TextExtractor } from './extraction/text-extractor.service';
import { FileStorage } from './file-storage';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { StoredFile } from './stored-file.entity';

@Module({
  imports: [TypeOrmModule.forFeature([StoredFile])],
  controllers: [FilesController],
  providers: [FilesService, FilesRepository, FileStorage, TextExtractor],
  exports: [FilesService],
})
export class FilesModule {}
