// The one-line description of the WebSocket state, shared by the pages.
import { t, tMaybe } from './common.js';

/** connLine describes the stored connection state {state, user, display_name} in words. */
export function connLine(c) {
  const state = (c && c.state) || 'unknown';
  if (state === 'connected') {
    const who = c.display_name ? `${c.display_name} (${c.user})` : c.user;
    return t('conn_connected', [who]);
  }
  const msg = tMaybe('conn_' + state);
  return msg || t('conn_unknown');
}
