// The viewer's choices, remembered in localStorage. Storage may be missing
// or throw (private modes, embeds whose third-party storage is blocked): a
// choice then lasts as long as the page.

export const P2P_KEY = 'peeredge-p2p'
export const REMINDER_KEY = 'peeredge-privacy-reminder-dismissed'

const memory = new Map()

function read (key) {
  try {
    const v = window.localStorage.getItem(key)
    if (v !== null) return v
  } catch {}
  return memory.has(key) ? memory.get(key) : null
}

function write (key, value) {
  memory.set(key, value)
  try {
    window.localStorage.setItem(key, value)
  } catch {}
}

// The viewer's P2P switch: on unless they turned it off ("0").
export const viewerP2P = () => read(P2P_KEY) !== '0'
export const setViewerP2P = on => write(P2P_KEY, on ? '1' : '0')

export const reminderDismissed = () => read(REMINDER_KEY) === '1'
export const dismissReminder = () => write(REMINDER_KEY, '1')
