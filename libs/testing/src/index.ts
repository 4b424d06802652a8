export { deleteBusStreams, uniqueBusPrefix } from './nats.js';
