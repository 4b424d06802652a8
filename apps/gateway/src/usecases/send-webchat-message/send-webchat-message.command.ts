import { type WebchatUser } from '../../auth/webchat-users.js';

export interface SendWebchatMessageCommand {
  readonly user: WebchatUser;
  readonly text: string;
  /** The client's own id for the message; a repeat with the same id is the same message. */
  readonly clientMessageId?: string | undefined;
}
