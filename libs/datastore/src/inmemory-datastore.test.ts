import { datastoreContract } from '@tork/testing';
import { InMemoryDatastore } from './inmemory-datastore.js';

datastoreContract('InMemoryDatastore', () => Promise.resolve(new InMemoryDatastore()));
