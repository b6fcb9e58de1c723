import { runtimeContract } from '@tork/testing';
import { ShellRuntime } from './shell-runtime.js';

const CAP = 4096;

runtimeContract('ShellRuntime', () => new ShellRuntime({ maxResultBytes: CAP, killGraceMs: 1_000 }), {
  maxResultBytes: CAP,
});

// Tasks as another user: what `-shell-uid 65534 -shell-gid 65534` gives a root engine.
runtimeContract(
  'ShellRuntime as uid 65534',
  () => new ShellRuntime({ uid: 65534, gid: 65534, maxResultBytes: CAP, killGraceMs: 1_000 }),
  { maxResultBytes: CAP },
);
