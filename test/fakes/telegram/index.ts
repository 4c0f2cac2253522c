export {
  ANN,
  BOT_USER,
  CONFLICT_DESCRIPTION,
  startFakeTelegram,
  type ConflictEvent,
  type FakeTelegram,
  type FakeTelegramOptions,
  type Peer,
  type SentMessage,
  type TelegramCall,
  type TelegramChat,
  type TelegramMessage,
  type TelegramReport,
  type TelegramUpdate,
  type TelegramUser,
  type UpdateEvent,
} from './server.js';
export { identifyBySocket } from './identify.js';
