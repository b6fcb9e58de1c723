import { describe, expect, it } from 'vitest';
import { RuntimeError } from '@tork/domain';
import { toRuntimeError } from './engine-errors.js';

/** What dockerode throws for an HTTP answer: the status and the engine's JSON body. */
const answer = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), {
    statusCode,
    json: { message },
  });
const errno = (code: string): Error =>
  Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });

describe('toRuntimeError', () => {
  it.each([
    ['a missing image', answer(404, 'No such image: tork/absent:1'), 'image'],
    ['a refused pull', answer(500, 'pull access denied for x, repository does not exist'), 'image'],
    ['no engine on the socket', errno('ENOENT'), 'runtime'],
    ['an engine that refuses connections', errno('ECONNREFUSED'), 'runtime'],
    ['a reset connection', errno('ECONNRESET'), 'runtime'],
    ['a broken pipe', errno('EPIPE'), 'runtime'],
    ['an engine failure', answer(500, 'containerd: connection error'), 'runtime'],
    ['a container removed under the run', answer(404, 'No such container: abc'), 'runtime'],
    ['no GPU', answer(500, 'could not select device driver "" with capabilities: [[gpu]]'), 'rejected'],
    ['a missing network', answer(404, 'network nets-x not found'), 'rejected'],
    ['a missing network at start', answer(500, 'network nets-x not found'), 'rejected'],
    [
      'a bad bind',
      answer(400, 'invalid mount config for type "bind": bind source path does not exist: /x'),
      'rejected',
    ],
    ['a name taken', answer(409, 'Conflict. The container name "/x" is already in use'), 'rejected'],
  ] as const)('maps %s to %s', (_what, error, kind) => {
    const mapped = toRuntimeError(error, 'container t1');
    expect(mapped).toBeInstanceOf(RuntimeError);
    expect(mapped.kind).toBe(kind);
  });

  it("keeps the engine's words, not dockerode's HTTP summary", () => {
    expect(toRuntimeError(answer(404, 'No such image: a:1'), 'container t1').message).toBe(
      'container t1: No such image: a:1',
    );
  });

  it('passes a RuntimeError through unchanged', () => {
    const original = new RuntimeError('rejected', 'bad gpus');
    expect(toRuntimeError(original, 'container t1')).toBe(original);
  });
});
