import { brokerContract } from '@tork/testing';
import { InMemoryBroker } from './inmemory-broker.js';

brokerContract('InMemoryBroker', () => Promise.resolve(new InMemoryBroker()));
