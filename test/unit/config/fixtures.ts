/** Config texts shared by the config and CLI tests. */
export const KEY_A = 'SHA256:BKZXKoHhiISS6oXgfO2gj5nMFeml8r71AVyySTj6i4I';
export const KEY_B = 'SHA256:P5ghrRGiGfFyVG8EBeMsmtvfcWwAvGbRH3zVC73xkiU';
export const KEY_C = 'SHA256:QnTF7fwkQgxwELh6Vy+cxC6k3rFyxIVIMHSnPlBUCxQ';

/** A valid fleet: staging with one pm2 host, production with a pm2 and a blue-green host. */
export const VALID_YAML = `
environments:
  staging:
    staging: true
    hosts:
      - name: stage-1
        address: 10.0.1.10
        hostKey: ${KEY_A}
        strategy: { kind: pm2 }
  production:
    hosts:
      - name: prod-a
        address: 10.0.2.10
        hostKey: ${KEY_B}
        strategy: { kind: pm2 }
      - name: prod-b
        address: 10.0.2.11
        port: 2222
        hostKey: ${KEY_C}
        strategy:
          kind: blue-green
          publicUrl: https://openclaw.example.com
`;

/** The same fleet with Slack and Redis secrets taken from the environment. */
export const VALID_WITH_SECRETS_YAML = `${VALID_YAML}
chat:
  slack:
    botToken: \${SLACK_BOT_TOKEN}
    appToken: \${SLACK_APP_TOKEN}
redis:
  url: redis://:\${REDIS_PASSWORD}@127.0.0.1:6379
`;

/**
 * Three distinct mistakes: a port that is not a number, an unknown strategy, and a window for
 * an environment that does not exist.
 */
export const THREE_MISTAKES_YAML = `
environments:
  staging:
    hosts:
      - name: stage-1
        address: 10.0.1.10
        hostKey: ${KEY_A}
        strategy: { kind: pm2 }
  production:
    hosts:
      - name: prod-a
        address: 10.0.2.10
        hostKey: ${KEY_B}
        strategy: { kind: pm3 }
      - name: prod-b
        address: 10.0.2.11
        port: 22a
        hostKey: ${KEY_C}
        strategy: { kind: pm2 }
windows:
  - name: nightly
    weekly: [{ days: [mon], start: '02:00', end: '04:00' }]
    environments: [prodution]
`;
