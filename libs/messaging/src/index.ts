export type {
  ConsumeOptions,
  DeclaredTopology,
  Delivery,
  ExchangeKind,
  ExchangeSpec,
  Headers,
  MessageBus,
  OutgoingMessage,
  QueueSpec,
  Subscription,
  Topology,
} from './message-bus';
export { AmqpBus, type AmqpBusOptions } from './amqp-bus';
export { InProcessBus } from './in-process-bus';
export { topicMatches } from './routing';
export { consoleLogger, decodeJson, encodeJson, redactUrl, silentLogger, type BusLogger } from './support';
export { assertConnected, jobplaneTopology } from './jobplane-topology';
export { outboxPublisher, type StoredMessage } from './outbox-publisher';
