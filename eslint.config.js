// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['@slack/bolt', 'discord.js', 'bullmq', 'ioredis', 'node-ssh', 'ssh2', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process', 'net', 'node:net', 'http', 'node:http'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/double/**/*.js', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The pure core: parsing, planning, config schema. No I/O may enter here.
    files: ['src/commands/**/*.ts', 'src/runbook/**/*.ts', 'src/config/schema*.ts', 'src/schedule/windows.ts', 'src/schedule/quiet-hours.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'The pure core does no I/O; pass data in instead.' })),
      }],
    },
  },
);
