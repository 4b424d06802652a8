/* global document, location, WebSocket, sessionStorage, setTimeout, crypto */
// Clawgate WebChat: sign in with a personal token, send messages, see answers and tool calls as they happen.
// Protocol: docs/gateway.md. The token is kept for this tab only (sessionStorage) and sent only in the auth frame.

const $ = (id) => document.getElementById(id);
const signInForm = $('sign-in');
const chat = $('chat');
const log = $('log');
const composer = $('composer');
const text = $('text');
const status = $('status');
const signInError = $('sign-in-error');
const who = $('who');
const signOut = $('sign-out');

const TOKEN_KEY = 'clawgate.webchat.token';
let socket;
let reconnectDelay = 1000;
let signedOut = false;

function addEntry(kind, label, body) {
  const item = document.createElement('li');
  item.className = kind;
  const heading = document.createElement('span');
  heading.className = 'who';
  heading.textContent = label;
  item.append(heading, document.createTextNode(body));
  log.append(item);
  item.scrollIntoView({ block: 'end' });
}

function showSignIn(message) {
  chat.hidden = true;
  signOut.hidden = true;
  signInForm.hidden = false;
  who.textContent = '';
  signInError.textContent = message ?? '';
  $('token').focus();
}

function connect(token) {
  signedOut = false;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket = new WebSocket(`${scheme}//${location.host}/ws`);
  socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token })));
  socket.addEventListener('message', (event) => handle(JSON.parse(event.data)));
  socket.addEventListener('close', (event) => {
    if (signedOut) return;
    if (event.code === 4001 || event.code === 4029) {
      sessionStorage.removeItem(TOKEN_KEY);
      return; // the error frame before the close already said why
    }
    status.textContent = `Connection lost; reconnecting in ${Math.round(reconnectDelay / 1000)} s…`;
    setTimeout(() => connect(token), reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 30000);
  });
}

function handle(frame) {
  switch (frame.type) {
    case 'ready':
      reconnectDelay = 1000;
      signInForm.hidden = true;
      chat.hidden = false;
      signOut.hidden = false;
      who.textContent = `Signed in as ${frame.user.name ?? frame.user.id}`;
      status.textContent = '';
      text.focus();
      break;
    case 'accepted':
      status.textContent = 'Sent. Waiting for the answer…';
      break;
    case 'reply':
      status.textContent = '';
      addEntry(frame.kind, frame.kind === 'answer' ? 'Assistant' : frame.kind === 'rejection' ? 'Not allowed' : 'Error', frame.text);
      break;
    case 'toolCall':
      addEntry(`tool ${frame.stage}`, `Tool ${frame.tool} — ${frame.stage}`, `${frame.summary}${frame.detail ? `\n${frame.detail}` : ''}`);
      break;
    case 'error':
      if (frame.code === 'unauthorized' || frame.code === 'too_many_attempts') showSignIn(frame.message);
      else status.textContent = frame.message;
      break;
    default:
      break;
  }
}

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  signInError.textContent = '';
  connect(token);
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const message = text.value;
  if (message.trim() === '' || socket?.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: 'message', text: message, id: crypto.randomUUID() }));
  addEntry('me', 'You', message);
  text.value = '';
});

text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

signOut.addEventListener('click', () => {
  signedOut = true;
  sessionStorage.removeItem(TOKEN_KEY);
  socket?.close(1000, 'signed out');
  log.replaceChildren();
  showSignIn();
});

const remembered = sessionStorage.getItem(TOKEN_KEY);
if (remembered) connect(remembered);
else showSignIn();
