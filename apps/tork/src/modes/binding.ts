import type { Logger } from 'pino';
import { errorMessage, isLoopbackHost, type Datastore } from '@tork/domain';
import type { TorkConfig } from '../config.js';

/** Why the REST API must not start, or undefined when it may. */
export function bindingRefusal(config: TorkConfig, storedCredentials: boolean): string | undefined {
  if (isLoopbackHost(config.host) || config.apiKeys.length > 0 || storedCredentials || config.insecure)
    return undefined;
  return (
    `refusing to serve the REST API on ${config.host} with no credential: anyone who reaches it could run any ` +
    'container. Give an admin key (TORK_API_KEYS_FILE=/path/to/keys, TORK_API_KEYS or -api-key KEY), listen on ' +
    'loopback (-host 127.0.0.1), or accept the risk with -insecure'
  );
}

/**
 * Checked before anything starts: a REST API on a non-loopback address needs a credential (a
 * configured key, or a key or user in the datastore) unless -insecure says otherwise, loudly.
 */
export async function checkBinding(config: TorkConfig, datastore: Datastore, logger: Logger): Promise<void> {
  if (isLoopbackHost(config.host) || config.apiKeys.length > 0) return;
  const stored = await datastore.credentials.hasCredentials().catch((error: unknown) => {
    throw new Error(
      `cannot tell whether any API key or user is stored (is the schema migrated? -mode migration): ${errorMessage(error)}`,
    );
  });
  const refusal = bindingRefusal(config, stored);
  if (refusal !== undefined) throw new Error(refusal);
  if (!stored)
    logger.warn(
      { host: config.host },
      `-insecure: the REST API on ${config.host} has no credential; anyone who reaches it is an admin and can run any container`,
    );
}
