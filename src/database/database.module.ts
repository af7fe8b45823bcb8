import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/database.config';
import { buildDataSourceOptions } from './database.options';
import { runPendingMigrations } from './schema';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({})
export class DatabaseModule {
  /**
   * `retryConnection: false` (the CLI) fails at once when the database cannot be opened: a person is waiting for the
   * answer. The server keeps TypeORM's retries (10, 3 s apart), which let it wait for a database still starting.
   */
  static forRoot(options: { runMigrations: boolean; retryConnection?: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          // The features' own TypeOrmModule.forFeature() calls name the entities, so this layer imports none of them.
          useFactory: (config: ConfigType<typeof databaseConfig>) => ({
            ...buildDataSourceOptions(config),
            autoLoadEntities: true,
            // Checked before the module logs "Unable to connect ... Retrying" with a stack, so nothing is logged.
            ...(options.retryConnection === false && { toRetry: () => false }),
          }),
          dataSourceFactory: async (dataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            if (dataSource.options.type === 'sqlite') {
              // Durable at every checkpoint and far faster than FULL; WAL keeps it crash-safe.
              await dataSource.query('PRAGMA synchronous = NORMAL');
            }
            if (options.runMigrations) await runPendingMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
