export { InMemoryBroker, type InMemoryBrokerOptions } from './inmemory-broker.js';
