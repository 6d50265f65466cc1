// The viewer's P2P switch (#p2p-switch) and the privacy reminder
// (#privacy-reminder, #privacy-dismiss) of the watch page. The embed page
// may have neither.
import { viewerP2P, setViewerP2P, reminderDismissed, dismissReminder } from './prefs.js'

// bindSwitch shows the remembered choice and calls onChange(on) after
// storing a new one.
export function bindSwitch (onChange) {
  const sw = document.getElementById('p2p-switch')
  if (!sw) return
  sw.checked = viewerP2P()
  sw.addEventListener('change', () => {
    setViewerP2P(sw.checked)
    onChange(sw.checked)
  })
}

// explainSwitch disables the switch when P2P cannot happen here whatever
// the viewer chooses, and says why.
export function explainSwitch (reason) {
  const sw = document.getElementById('p2p-switch')
  if (!sw) return
  sw.disabled = Boolean(reason)
  sw.title = reason || ''
}

// showReminder shows the reminder while P2P is in effect and the viewer
// has not dismissed it.
export function showReminder (p2pInEffect) {
  const aside = document.getElementById('privacy-reminder')
  if (!aside) return
  aside.hidden = !p2pInEffect || reminderDismissed()
}

export function bindReminder () {
  const button = document.getElementById('privacy-dismiss')
  const aside = document.getElementById('privacy-reminder')
  if (!button || !aside) return
  button.addEventListener('click', () => {
    dismissReminder()
    // The button disappears with the reminder: keep keyboard users near
    // where they were, on the switch the reminder was about.
    const next = document.getElementById('p2p-switch') || document.getElementById('video')
    aside.hidden = true
    if (next && !next.disabled) next.focus()
  })
}
