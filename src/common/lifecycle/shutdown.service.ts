import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { appConfig } from '../../config/app.config';
import { DrainingError } from '../errors/app.error';

/** How long model calls cut at the end of the grace period get to store what they have before sockets close. */
const SETTLE_MS = 1_000;

/**
 * A bounded shutdown: on SIGTERM no new connection or request is taken, idle and half-sent connections close at
 * once, requests that reached their handler and tracked work (generations, which run on without any request)
 * get `SHUTDOWN_GRACE_MS`, then running model calls are aborted (their answers are stored with what had arrived)
 * and whatever is still open is closed. Container platforms kill the
 * process soon after SIGTERM; waiting for every socket, as Node does by default, loses the answers in flight.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly aborter = new AbortController();
  /** Aborted when the grace period is over: model calls still running stop and store their partial answers. */
  readonly signal: AbortSignal = this.aborter.signal;
  private draining = false;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Sockets whose request reached its handler and whose response is not finished, with how many such requests. */
  private readonly busy = new Map<Socket, number>();
  /** Work that runs on its own, outside any request, until its promise settles. */
  private readonly work = new Set<Promise<unknown>>();
  private idle?: () => void;

  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  /**
   * Follows the app's connections and requests; called once by the app's setup, before it listens. A request that
   * arrives while the server drains is answered DrainingError by `refuse`: the app's error answer, in the shape its
   * URL speaks (OpenAI's under /v1).
   */
  attach(
    fastify: FastifyInstance,
    refuse: (error: DrainingError, request: FastifyRequest, reply: FastifyReply) => void,
  ): void {
    this.server = fastify.server;
    this.server.on('connection', (socket: Socket) => {
      if (this.draining) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!this.draining) return done();
      reply.header('connection', 'close');
      refuse(new DrainingError(), request, reply);
    });
    // A request counts as running once its body has arrived: one still sending its body is dropped at shutdown.
    fastify.addHook('preHandler', (request, reply, done) => {
      const socket = request.raw.socket;
      this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
      reply.raw.once('close', () => this.release(socket));
      done();
    });
  }

  /** Counts `work` as running until it settles: the shutdown gives it the grace period, like a request. */
  track(work: Promise<unknown>): void {
    this.work.add(work);
    const done = () => {
      this.work.delete(work);
      if (this.draining && this.running === 0) this.idle?.();
    };
    work.then(done, done);
  }

  private get running(): number {
    return this.busy.size + this.work.size;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.server || this.draining) return;
    this.draining = true;
    this.logger.log(
      `shutting down: ${this.busy.size} request(s) and ${this.work.size} task(s) running, up to ${this.config.shutdownGraceMs} ms to finish`,
    );
    this.server.close();
    for (const socket of this.sockets) if (!this.busy.has(socket)) socket.destroy();

    if (!(await this.settled(this.config.shutdownGraceMs))) {
      this.logger.warn(`grace period over: stopping ${this.running} request(s) and task(s), storing what they have`);
      this.aborter.abort();
      await this.settled(SETTLE_MS);
    }
    for (const socket of this.sockets) socket.destroy();
  }

  private release(socket: Socket): void {
    const left = (this.busy.get(socket) ?? 1) - 1;
    if (left > 0) {
      this.busy.set(socket, left);
      return;
    }
    this.busy.delete(socket);
    if (!this.draining) return;
    // Its response is out: the connection is not kept alive for another request.
    socket.end();
    if (this.running === 0) this.idle?.();
  }

  /** Whether every running request and tracked work finished within `ms`. */
  private async settled(ms: number): Promise<boolean> {
    if (this.running === 0) return true;
    const done = new Promise<true>((resolve) => (this.idle = () => resolve(true)));
    const timer = new AbortController();
    const result = await Promise.race([done, sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    return result;
  }
}
