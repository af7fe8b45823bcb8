import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { filesConfig } from '../../config/files.config';
import { FileStorage } from '../file-storage';
import { FilesRepository } from '../files.repository';
import type { StoredFile } from '../stored-file.entity';
import type { ExtractionJob, ExtractionResult } from './extract-text';

/**
 * Bounds of one extraction worker. A hostile document (a zip bomb that lies about its sizes, a PDF of huge
 * pages) can at worst use these and be stopped, leaving the server's own heap alone.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };
/** Documents read at once: extraction is CPU work, and the machine also answers requests. */
const CONCURRENCY = 1;

const WORKER_FILE = `extract-text.worker${extname(__filename)}`;

/**
 * Under Jest the sources are TypeScript, which a worker cannot load by itself: the worker compiles them as
 * Jest does, with @swc/core (a development dependency). The built server runs the compiled JavaScript entry.
 */
const TYPESCRIPT_WORKER = `
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const options = { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } };
  module._compile(transformSync(readFileSync(filename, 'utf8'), options).code, filename);
};
require(require('node:worker_threads').workerData.entry);
`;

/**
 * Reads the text of PDF and DOCX uploads in the background, one worker thread per document, and settles each
 * file `ready` (its text kept beside its bytes) or `failed` with the reason. Files left `processing` by a
 * process that stopped are read again at start.
 */
@Injectable()
export class TextExtractor implements OnApplicationShutdown {
  private readonly logger = new Logger(TextExtractor.name);
  private readonly queue: StoredFile[] = [];
  private readonly workers = new Set<Worker>();
  private active = 0;
  private stopped = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
    @Inject(filesConfig.KEY) private readonly config: ConfigType<typeof filesConfig>,
  ) {}

  /** Queues the files a stopped process left `processing`; called once when the server starts. */
  async resume(): Promise<void> {
    const left = await this.files.findProcessing();
    if (left.length > 0)
      this.logger.warn(`${left.length} file(s) left processing by an earlier process: reading again`);
    for (const file of left) this.enqueue(file);
  }

  async onApplicationShutdown(): Promise<void> {
    // What is cut here stays `processing` and is read again at the next start.
    this.stopped = true;
    this.queue.length = 0;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
  }

  enqueue(file: StoredFile): void {
    if (this.stopped) return;
    this.queue.push(file);
    this.next();
  }

  /** Resolves once nothing is queued or being read. */
  whenIdle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private next(): void {
    while (this.active < CONCURRENCY && this.queue.length > 0) {
      const file = this.queue.shift()!;
      this.active += 1;
      void this.process(file).finally(() => {
        this.active -= 1;
        this.next();
        if (this.active === 0 && this.queue.length === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }

  private async process(file: StoredFile): Promise<void> {
    try {
      const result = await this.runWorker({ path: this.storage.bytesPath(file.id), mimeType: file.mimeType });
      if (this.stopped) return;
      if (result.ok) {
        await this.storage.writeText(file.id, result.text);
        const settled = await this.files.settle(file.id, {
          status: 'ready',
          error: null,
          textChars: result.text.length,
        });
        // Deleted while it was read: its text would outlive it.
        if (!settled) await this.storage.remove(file.id);
      } else {
        await this.files.settle(file.id, { status: 'failed', error: result.reason, textChars: null });
      }
    } catch (error) {
      if (this.stopped) return;
      this.logger.error(`file ${file.id} could not be settled: ${error instanceof Error ? error.message : error}`);
    }
  }

  private runWorker(job: ExtractionJob): Promise<ExtractionResult> {
    const entry = join(__dirname, WORKER_FILE);
    const worker = entry.endsWith('.ts')
      ? new Worker(TYPESCRIPT_WORKER, { eval: true, workerData: { ...job, entry }, resourceLimits: WORKER_LIMITS })
      : new Worker(entry, { workerData: job, resourceLimits: WORKER_LIMITS });
    this.workers.add(worker);
    return new Promise<ExtractionResult>((resolve) => {
      const timer = setTimeout(() => {
        settle({
          ok: false,
          reason: `reading the document took longer than ${this.config.extractTimeoutMs} ms`,
        });
      }, this.config.extractTimeoutMs);
      const settle = (result: ExtractionResult) => {
        clearTimeout(timer);
        this.workers.delete(worker);
        void worker.terminate();
        resolve(result);
      };
      worker.once('message', (result: ExtractionResult) => settle(result));
      worker.once('error', (error: Error & { code?: string }) =>
        settle({
          ok: false,
          reason:
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? 'reading the document needed more memory than the server allows'
              : 'the document could not be read',
        }),
      );
      worker.once('exit', () => settle({ ok: false, reason: 'reading the document stopped unexpectedly' }));
    });
  }
}
