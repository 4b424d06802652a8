/** The Slack app (`SlackAppResolution`), built once from the configuration. */
export const SLACK_APP = Symbol('clawgate.gateway.slack-app');
