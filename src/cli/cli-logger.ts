import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's warnings and errors, less its own report of a start that failed (the error and its stack, logged by its
 * ExceptionHandler): the command line reports that failure itself, in one line, as it does every other.
 */
export class CliLogger extends ConsoleLogger {
  constructor() {
    super({ logLevels: ['error', 'warn'] });
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}
