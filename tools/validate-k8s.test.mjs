// The manifest check must fail on what a cluster would reject or silently ignore: a misspelled field
// at any depth, a wrong type, a missing required field, an unknown apiVersion or kind.
//   node --test tools/validate-k8s.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { validateManifests } from './validate-k8s.mjs';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'worker', labels: { 'app.kubernetes.io/name': 'tork' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'worker' } },
    template: {
      metadata: { labels: { app: 'worker' } },
      spec: {
        terminationGracePeriodSeconds: 660,
        containers: [
          {
            name: 'worker',
            image: 'tork/worker',
            args: ['-queue', 'default:4'],
            ports: [{ name: 'health', containerPort: 8001 }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 1, memory: '384Mi' } },
          },
        ],
      },
    },
  },
});

const scaledObject = () => ({
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: { name: 'worker' },
  spec: {
    scaleTargetRef: { name: 'worker' },
    minReplicaCount: 1,
    maxReplicaCount: 10,
    triggers: [
      {
        type: 'rabbitmq',
        metadata: { protocol: 'amqp', mode: 'QueueLength', queueName: 'default', value: '1' },
        authenticationRef: { name: 'rabbitmq' },
      },
    ],
  },
});

/** @param {...object} objects */
const check = (...objects) =>
  validateManifests(objects.map((object) => yaml.dump(object)).join('---\n'), 'test');

test('valid objects pass', async () => {
  const { objects, problems } = await check(deployment(), scaledObject());
  assert.deepEqual(problems, []);
  assert.deepEqual(objects, ['Deployment/worker', 'ScaledObject/worker']);
});

test('a misspelled field fails, with its path, at any depth and in every document', async () => {
  const broken = deployment();
  const container = broken.spec.template.spec.containers[0];
  Object.assign(container, { imagePulPolicy: 'Always' });
  Object.assign(broken.spec.template.spec, { terminationGracePeriodSecond: 30 });
  const brokenScaling = scaledObject();
  Object.assign(brokenScaling.spec, { minReplicaCounts: 0 });
  const { problems } = await check(broken, brokenScaling);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0] ?? '', /spec\.template\.spec\.terminationGracePeriodSecond: unknown field/);
  assert.match(problems[1] ?? '', /spec\.template\.spec\.containers\[0\]\.imagePulPolicy: unknown field/);
  assert.match(problems[2] ?? '', /ScaledObject\/worker\): spec\.minReplicaCounts: unknown field/);
});

test('a wrong type or a missing required field fails', async () => {
  const broken = deployment();
  Object.assign(broken.spec, { replicas: 'two' });
  const { problems } = await check(broken);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0] ?? '', /spec\.replicas: must be integer/);

  const nameless = deployment();
  delete (/** @type {{ name?: string }} */ (nameless.spec.template.spec.containers[0]).name);
  const missing = await check(nameless);
  assert.match(missing.problems.join('\n'), /containers\[0\]: must have required property name/);
});

test('an unknown kind, apiVersion or API group fails', async () => {
  for (const [apiVersion, kind] of [
    ['apps/v1', 'Deploymnet'],
    ['apps/v1', 'DeploymentSpec'],
    ['apps/v9', 'Deployment'],
    ['keda.sh/v1alpha1', 'ScaledThing'],
    ['example.com/v1', 'Widget'],
    ['not a version', 'Deployment'],
  ]) {
    const { problems } = await check({ ...deployment(), apiVersion, kind });
    assert.equal(problems.length, 1, `${apiVersion} ${kind}: ${problems.join('\n')}`);
    assert.match(problems[0] ?? '', /apiVersion/);
  }
});

test('--require-resources: a container without requests or limits of cpu and memory fails', async () => {
  const ok = await validateManifests(yaml.dump(deployment()), 'test', { requireResources: true });
  assert.deepEqual(ok.problems, []);
  const broken = deployment();
  const spec = broken.spec.template.spec;
  Object.assign(spec, {
    initContainers: [{ name: 'migrate', image: 'tork/api', resources: { limits: { cpu: 1 } } }],
  });
  const { problems } = await validateManifests(yaml.dump(broken), 'test', { requireResources: true });
  assert.deepEqual(
    problems.map((problem) => problem.replace(/^.*\): /, '')),
    [
      'spec.template.spec.initContainers[0] (migrate).resources.requests: cpu and memory required (--require-resources)',
      'spec.template.spec.initContainers[0] (migrate).resources.limits: memory required (--require-resources)',
    ],
  );
});

test('a document that is no object, or has no name, fails', async () => {
  const { problems } = await validateManifests(
    'just a string\n---\napiVersion: v1\nkind: ConfigMap\n',
    'test',
  );
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0] ?? '', /not a Kubernetes object/);
  assert.match(problems[1] ?? '', /metadata\.name: required/);
});
