// The real package's dist/entry.js: runs the CLI whoever loaded it (works under PM2's Node wrapper).
await import('../lib/cli.js');
