export { InMemoryBroker, type InMemoryBrokerOptions } from './inmemory-broker.js';
export { RabbitMqBroker, type RabbitMqBrokerOptions } from './rabbitmq-broker.js';
export { TraceContextBroker } from './trace-context-broker.js';
