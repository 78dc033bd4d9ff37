import type { Command } from '../context';
import { cancelCommand, getCommand, listCommand, retryCommand, submitCommand } from './jobs';
import { dispatchCommand, planCommand, verifyCommand } from './manifest';
import { watchCommand } from './watch';

export const COMMANDS: Command[] = [
  submitCommand,
  getCommand,
  listCommand,
  watchCommand,
  cancelCommand,
  retryCommand,
  planCommand,
  dispatchCommand,
  verifyCommand,
];
