import Docker from 'dockerode';
import { describeWithService, dockerAvailable, runtimeContract } from '@tork/testing';
import { DockerRuntime } from './docker-runtime.js';

const CAP = 4096;
const IMAGE = 'busybox';
const available = await dockerAvailable();

describeWithService(
  'Docker engine',
  available,
  'start it with `bash .ci/run` or `dockerd --bridge=none --iptables=false --ip-masq=false &`',
)('DockerRuntime', () => {
  runtimeContract('DockerRuntime', () => new DockerRuntime({ maxResultBytes: CAP }), {
    image: IMAGE,
    maxResultBytes: CAP,
    // A container created and never started: what an engine killed mid-task leaves.
    leaveBehind: async (labels) => {
      await new Docker().createContainer({ Image: IMAGE, Cmd: ['true'], Labels: { ...labels } });
      return { containers: 1 };
    },
  });
});
