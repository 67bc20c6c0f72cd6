// Starting, stopping and asking about services, the way this site does it: systemctl by
// default, or a configured command (hosts without systemd, like the lab).
import type { Config } from '../config/schema.js';
import { quoteArgv } from '../host/quote.js';

export type ServiceKey = 'keepalived' | 'nfs' | 'rsyncd';
export type ServiceAction = 'start' | 'stop' | 'restart' | 'status' | 'enable' | 'disable' | 'is-enabled';

export function serviceArgv(config: Config, action: ServiceAction, key: ServiceKey): string[] {
  const name = config.services.names[key];
  if (config.services.manager === 'systemctl') {
    const verb = action === 'status' ? 'is-active' : action;
    return ['systemctl', verb, ...(verb === 'is-active' || verb === 'is-enabled' ? ['--quiet'] : []), name];
  }
  return config.services.command!.map((part) => part.replace('{action}', action).replace('{service}', name));
}

/** The same command as a line to paste into a POSIX shell (hints and fixes): every word quoted. */
export function serviceCommand(config: Config, action: ServiceAction, key: ServiceKey): string {
  return quoteArgv(serviceArgv(config, action, key));
}
