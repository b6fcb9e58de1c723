import { credentialStoreContract, datastoreContract } from '@tork/testing';
import { InMemoryDatastore } from './inmemory-datastore.js';

datastoreContract('InMemoryDatastore', () => Promise.resolve(new InMemoryDatastore()));
credentialStoreContract('InMemoryDatastore', () => Promise.resolve(new InMemoryDatastore()));
