// PeerTube's tracker as PeerTube mounts it (server/core/controllers/tracker.ts):
// no built-in servers, GET /tracker/announce and the /tracker/socket upgrade
// handed to the tracker, and a filter admitting only known info hashes (here
// the hex hashes of the file in argv[2], PeerTube asks its cached database).
// Prints "listening 127.0.0.1:PORT" once it accepts connections on 127.0.0.1.
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { WebSocketServer } from 'ws'
import { Server } from '@peertube/bittorrent-tracker-server'

const known = new Set(readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean))
const tracker = new Server({
  http: false, udp: false, ws: false, stats: false,
  filter (infoHash, params, cb) {
    cb(known.has(infoHash) ? null : new Error(`Unknown infoHash ${infoHash}`))
  }
})
tracker.on('warning', () => {}) // bad client input is not the server's failure

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/tracker/announce?')) {
    return tracker.onHttpRequest(req, res, { action: 'announce' })
  }
  res.statusCode = 404
  res.end()
})
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false })
wss.on('connection', (ws, req) => {
  ws.ip = req.socket.remoteAddress
  tracker.onWebSocketConnection(ws)
})
server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/tracker/socket')) return socket.destroy()
  wss.handleUpgrade(req, socket, head, ws => wss.emit('connection', ws, req))
})
server.listen(0, '127.0.0.1', () => console.log(`listening 127.0.0.1:${server.address().port}`))
