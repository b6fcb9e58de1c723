/** The local registry authenticated-pull tests use; `.ci/run`'s ensure_registry sets it up with these values. */
export const TEST_REGISTRY = {
  address: '127.0.0.1:5000',
  username: 'tork',
  password: 'tork-test-password',
  /** Pushed by ensure_registry, its local tag removed so that running it pulls. */
  image: '127.0.0.1:5000/tork/private:latest',
} as const;

export const TEST_REGISTRY_HINT =
  "start it with `bash -c 'source .ci/run && ensure_registry'` (Debian's docker-registry on 127.0.0.1:5000, needs dockerd and tools/test-images.sh)";

const PROBE_TIMEOUT_MS = 3_000;

/** True when the test registry answers with the 401 of its htpasswd auth (so it is ours, with auth on). */
export async function registryAvailable(): Promise<boolean> {
  try {
    const response = await fetch(`http://${TEST_REGISTRY.address}/v2/`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return response.status === 401;
  } catch {
    return false;
  }
}
