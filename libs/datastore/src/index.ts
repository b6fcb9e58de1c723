export { InMemoryDatastore } from './inmemory-datastore.js';
