import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import Webhooks

/// The demo's built-in webhook receiver: `POST /webhook` on loopback. It verifies each
/// delivery as a real receiver must (Standard Webhooks signature and timestamp, through
/// ``Webhooks/WebhookSigner/verify(id:timestamp:signatureHeader:body:secrets:now:tolerance:)``)
/// and logs one line per event, so a newcomer sees a trigger fire and clear without running
/// anything else.
///
/// It answers 2xx only for a delivery it could verify and read; anything else gets 4xx, which
/// the deliverer retries and finally dead-letters, as it would with a real receiver.
public struct DemoWebhookReceiver: Sendable {
    public let secret: WebhookSecret
    let logger: Logger

    public init(secret: WebhookSecret, logger: Logger) {
        self.secret = secret
        self.logger = logger
    }

    /// Serves until the task is cancelled; `onListening` gets the bound port (0: any free port).
    public func run(host: String = "127.0.0.1", port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        try await application(host: host, port: port, onListening: onListening).run()
    }

    /// The receiver on `host:port`, to run as a `Service`.
    func application(
        host: String = "127.0.0.1", port: Int = 0, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("/webhook") { request, _ -> Response in
            let buffer = try await request.body.collect(upTo: 1 << 20)
            func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
            let (status, line) = self.receive(
                id: header(WebhookSigner.Header.id), timestamp: header(WebhookSigner.Header.timestamp),
                signature: header(WebhookSigner.Header.signature), body: Array(buffer.readableBytesView),
                now: Int64(Date().timeIntervalSince1970))
            if (200...299).contains(status) {
                logger.info("\(line)")
            } else {
                logger.warning("\(line)")
            }
            return Response(status: .init(code: status))
        }
        var quiet = logger
        quiet.logLevel = .warning
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tycostream-demo-receiver"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: quiet)
    }

    /// Checks one delivery and says what it was, in one line.
    ///
    /// - Returns: the HTTP status to answer (204 accepted, 401 bad signature, 400 unreadable)
    ///   and the line to log.
    func receive(id: String?, timestamp: String?, signature: String?, body: [UInt8], now: Int64) -> (Int, String) {
        do {
            try WebhookSigner.verify(
                id: id ?? "", timestamp: timestamp ?? "", signatureHeader: signature ?? "", body: body,
                secrets: [secret], now: now)
        } catch {
            return (401, "demo webhook receiver: refused a delivery: \(error.message)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let type = object["event_type"] as? String, let trigger = object["trigger_name"] as? String,
            let source = object["source"] as? String, let data = object["data"] as? [String: Any],
            let row = try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes])
        else {
            return (400, "demo webhook receiver: refused a delivery whose body is not a trigger event")
        }
        return (204, "webhook received: \(type) \(source).\(trigger) \(String(decoding: row, as: UTF8.self)) (signature verified, webhook-id \(id ?? ""))")
    }
}
