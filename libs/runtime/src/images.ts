import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ImageInspectInfo } from 'dockerode';
import { inChildSpan, RuntimeError, SpanKind } from '@tork/domain';
import type { RegistryAuth } from '@tork/domain';
import { isRootUser } from './container-spec.js';
import { engineMessage, isConnectionError, isRecord, statusCodeOf } from './engine-errors.js';

export type PullPolicy = 'missing' | 'always' | 'never';

/** An engine call that should answer at once, bounded by the runtime's API timeout. */
export type EngineCall = <T>(what: string, request: (abortSignal: AbortSignal) => Promise<T>) => Promise<T>;

export interface ImagePullerOptions {
  /** When to pull: only when the engine has no such image (default), before every run, or never. */
  readonly pullPolicy?: PullPolicy;
  readonly call: EngineCall;
  readonly logger?: (msg: string) => void;
}

/** The address Docker Hub's credentials are stored under, as `docker login` does. */
const DOCKER_HUB = 'https://index.docker.io/v1/';
const REDACTED = '[redacted]';

/**
 * Owns image pulls for one engine: the pull policy, one pull at a time per image and credentials,
 * authenticated pulls, and pull failures as RuntimeError kind `image` with the password never in them.
 *
 * With the policy `missing`, an image the engine already has is used without checking the task's
 * credentials: whoever pulled it first made it available to every task on that engine. A task that
 * must prove its credentials needs the policy `always`.
 */
export class ImagePuller {
  private readonly pullPolicy: PullPolicy;
  private readonly call: EngineCall;
  private readonly log: (msg: string) => void;
  /** In-flight pulls by image and credentials: one user's credentials never serve another's pull. */
  private readonly pulls = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: Docker,
    options: ImagePullerOptions,
  ) {
    this.pullPolicy = options.pullPolicy ?? 'missing';
    this.call = options.call;
    this.log = options.logger ?? (() => undefined);
  }

  /** Before a run: the policy `always` pulls here; the others leave a missing image to {@link withImage}. */
  async prepare(image: string, auth?: RegistryAuth): Promise<void> {
    if (this.pullPolicy === 'always') await this.pull(image, auth);
  }

  /**
   * Runs `use`, an engine call that needs the image; when the engine has no such image, pulls it (policy
   * `missing`) and runs `use` again, or fails with kind `image`. Trying first saves an inspect per run.
   * `policy` overrides the engine's for the worker's own images (the sidecar probe's helper).
   */
  async withImage<T>(
    image: string,
    auth: RegistryAuth | undefined,
    use: () => Promise<T>,
    policy: PullPolicy = this.pullPolicy,
  ): Promise<T> {
    try {
      return await use();
    } catch (error) {
      if (!isMissingImage(error)) throw error;
      if (policy !== 'missing') {
        const why = policy === 'never' ? "the pull policy is 'never'" : 'it was just pulled';
        throw new RuntimeError('image', `image ${image}: not found locally and ${why}`);
      }
    }
    await this.pull(image, auth, policy);
    return use();
  }

  /** Whether the image's processes run as root (who can create /tork); gets the image per the policy. */
  async runsAsRoot(image: string, auth?: RegistryAuth): Promise<boolean> {
    const info = await this.withImage(image, auth, () => this.inspect(image));
    return isRootUser(info.Config.User);
  }

  /** dockerode's image inspect takes no signal: only the wait for it is bounded. */
  private inspect(image: string): Promise<ImageInspectInfo> {
    return this.call('inspect the image', () => this.docker.getImage(image).inspect());
  }

  /**
   * Pulls an image, or waits for the same pull under way; with tracing on, the wait is a CLIENT span
   * `runtime pull` of the task's trace (`tork.pull.joined` when another task's pull was under way),
   * failed when the pull fails.
   */
  private pull(image: string, auth: RegistryAuth | undefined, policy = this.pullPolicy): Promise<void> {
    const key = pullKey(image, auth);
    let pulling = this.pulls.get(key);
    const joined = pulling !== undefined;
    if (pulling === undefined) {
      pulling = this.pullOnce(image, auth, policy).finally(() => this.pulls.delete(key));
      this.pulls.set(key, pulling);
    }
    const done = pulling;
    return inChildSpan(
      'runtime pull',
      SpanKind.CLIENT,
      () => ({ 'container.image.name': image, 'tork.pull.joined': joined }),
      () => done,
    );
  }

  private async pullOnce(image: string, auth: RegistryAuth | undefined, policy: PullPolicy): Promise<void> {
    const as = auth === undefined ? '' : ` as ${auth.username}`;
    this.log(`pulling image ${image}${as}`);
    try {
      const authconfig =
        auth === undefined
          ? undefined
          : { username: auth.username, password: auth.password, serveraddress: registryAddress(image) };
      const stream = await this.docker.pull(image, authconfig === undefined ? {} : { authconfig });
      await new Promise<void>((resolve, reject) => {
        let failure: string | undefined;
        this.docker.modem.followProgress(
          stream,
          (error: Error | null) => {
            if (error !== null) reject(error);
            // The engine reports some failures inside a 200 response, as a progress event.
            else if (failure !== undefined) reject(new Error(failure));
            else resolve();
          },
          (event: unknown) => {
            if (isRecord(event) && typeof event['error'] === 'string') failure = event['error'];
          },
        );
      });
    } catch (error) {
      const what = policy === 'always' ? 'pull failed' : 'not found locally and pull failed';
      throw pullError(`image ${image}: ${what}`, error, auth);
    }
    this.log(`pulled image ${image}`);
  }
}

/**
 * The registry an image comes from, as Docker reads a reference: a first path component with a dot,
 * a colon or `localhost` is a host; anything else is on Docker Hub.
 */
export function registryAddress(image: string): string {
  const slash = image.indexOf('/');
  if (slash === -1) return DOCKER_HUB;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
}

/** A hash, so that the map of in-flight pulls holds no password. */
function pullKey(image: string, auth: RegistryAuth | undefined): string {
  if (auth === undefined) return image;
  const secret = createHash('sha256')
    .update(JSON.stringify([auth.username, auth.password]))
    .digest('hex');
  return `${image}\0${secret}`;
}

/**
 * A failed pull: kind `runtime` when the engine was not reached (not the task's fault), else `image`:
 * the engine answers 500 for a registry's refusal or absence, which is the image's problem, not the
 * engine's. The cause is rebuilt from the redacted text so that no password travels in it.
 */
function pullError(subject: string, error: unknown, auth: RegistryAuth | undefined): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const text = redact(engineMessage(error), auth);
  const cause = new Error(text);
  if (isConnectionError(error)) {
    return new RuntimeError('runtime', `${subject}: ${text}`, { cause });
  }
  return new RuntimeError('image', `${subject}: ${text}`, { cause });
}

function redact(text: string, auth: RegistryAuth | undefined): string {
  if (auth === undefined || auth.password === '') return text;
  return text.split(auth.password).join(REDACTED);
}

function isMissingImage(error: unknown): boolean {
  return statusCodeOf(error) === 404 && /no such image/i.test(engineMessage(error));
}
