export { ChannelNameSchema, InboundMessageSchema, type ChannelName, type InboundMessage, type MessageAddress } from './messages.js';
export * from './event-catalog.js';
