import { pino } from 'pino';
import { TorkError, type ErrorCode } from '@tork/domain';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { json, startTestApi } from './api.fixture.js';
import { MAX_ERROR_BODY_BYTES, toErrorReply } from './errors.js';

const context = { contentType: undefined, bodyLimit: 1024 };

describe('toErrorReply', () => {
  it.each<[ErrorCode, number]>([
    ['INVALID_INPUT', 400],
    ['NOT_FOUND', 404],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['PAYLOAD_TOO_LARGE', 413],
    ['CONFLICT', 409],
    ['FORBIDDEN', 403],
    ['UNAVAILABLE', 503],
    ['INTERNAL', 500],
  ])('maps %s to %i', (code, status) => {
    expect(toErrorReply(new TorkError(code, 'it went wrong'), context)).toEqual({
      statusCode: status,
      body: { error: 'it went wrong' },
    });
  });

  it('maps UNAUTHENTICATED to 401 with the schemes the client may use', () => {
    expect(toErrorReply(new TorkError('UNAUTHENTICATED', 'invalid credentials'), context)).toEqual({
      statusCode: 401,
      body: { error: 'invalid credentials' },
      headers: { 'www-authenticate': 'Bearer realm="tork", Basic realm="tork"' },
    });
  });

  it('lists the problems of invalid input', () => {
    const reply = toErrorReply(TorkError.invalid([{ path: 'tasks[0].image', message: 'required' }]), context);

    expect(reply).toEqual({
      statusCode: 400,
      body: {
        error: 'invalid job: tasks[0].image: required',
        problems: [{ path: 'tasks[0].image', message: 'required' }],
      },
    });
  });

  it('keeps every body under 64 KiB, even of problems that escape to 6 bytes a character', () => {
    const control = '\u0001'.repeat(300);
    const problems = Array.from({ length: 500 }, (_, i) => ({ path: `${i}${control}`, message: control }));

    const reply = toErrorReply(TorkError.invalid(problems), context);

    const size = Buffer.byteLength(JSON.stringify(reply.body));
    expect(size).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
    expect(size).toBeGreaterThan(MAX_ERROR_BODY_BYTES / 2);
    expect(reply.statusCode).toBe(400);
    expect(reply.body.error.length).toBeLessThanOrEqual(1024);
    const listed = reply.body.problems ?? [];
    expect(listed.at(-1)).toEqual({
      path: 'body',
      message: `and ${500 - (listed.length - 1)} more problems`,
    });
    expect(listed[0]?.path).toHaveLength(256);
  });

  it('cuts short the message of any other error too', () => {
    const reply = toErrorReply(
      new TorkError('NOT_FOUND', `job ${'\u0001'.repeat(100_000)} not found`),
      context,
    );

    expect(Buffer.byteLength(JSON.stringify(reply.body))).toBeLessThanOrEqual(1024 * 6 + 20);
  });

  it('hides the message of an unexpected error', () => {
    const reply = toErrorReply(new Error('connect ECONNREFUSED postgres://user:pw@db'), context);

    expect(reply).toEqual({ statusCode: 500, body: { error: 'internal server error' } });
  });

  it('hides anything thrown that is not an error', () => {
    expect(toErrorReply('a string', context)).toEqual({
      statusCode: 500,
      body: { error: 'internal server error' },
    });
  });
});

describe('error replies', () => {
  it('answer 404 for an unknown route, naming it without its query', async () => {
    const { app } = await startTestApi();

    const response = await app.inject({ method: 'GET', url: '/x?y=1' });
    const post = await app.inject({
      method: 'POST',
      url: '/tasks',
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });

    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(json(response.body)).toEqual({ error: 'route GET /x not found' });
    expect(post.statusCode).toBe(404);
    expect(json(post.body)).toEqual({ error: 'route POST /tasks not found' });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    await app.close();
  });

  it('never carry a stack trace', async () => {
    const { app, datastore } = await startTestApi();
    datastore.jobs.get = () => Promise.reject(new Error('boom at secret place'));

    const response = await app.inject({ method: 'GET', url: `/job/${'a'.repeat(32)}` });

    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"error":"internal server error"}');
    await app.close();
  });

  it('are logged when they are server errors', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { app, datastore } = await startTestApi({ logger: pino({ level: 'error' }, stream) });
    datastore.jobs.get = () => Promise.reject(new Error('boom'));

    await app.inject({ method: 'GET', url: `/job/${'a'.repeat(32)}` });
    await app.inject({ method: 'GET', url: `/job/${'b'.repeat(32)}x` });

    expect(lines).toHaveLength(1);
    expect(json(lines[0]!)).toMatchObject({
      level: 50,
      msg: `GET /job/${'a'.repeat(32)} failed`,
      err: { message: 'boom' },
    });
    await app.close();
  });
});
