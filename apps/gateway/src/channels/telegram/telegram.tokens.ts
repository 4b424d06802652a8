/** The configured bots (`TelegramBot[]`), built once from the configuration. */
export const TELEGRAM_BOTS = Symbol('clawgate.gateway.telegram-bots');
