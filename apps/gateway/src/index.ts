export { GatewayModule } from './gateway.module.js';
export { type GatewayModuleOptions, GATEWAY_SETTINGS_DEFAULTS } from './gateway-options.js';
export { gatewayUrl, GatewayStartError, startGateway, type StartGatewayOptions } from './start-gateway.js';
export { DELIVERY_RECORDER, type DeliveredReply, type DeliveryRecorder, type FailedReply } from './delivery/delivery-recorder.js';
export { WEBCHAT_SOCKET_PATH } from './websocket/webchat-socket.server.js';
export { type ClientFrame, type ServerFrame, CLOSE_CODES } from './websocket/webchat-protocol.js';
