import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Webhooks

/// The demo's trigger, created through the public GraphQL API exactly as a user would: it fires
/// when a position turns high-risk and, with hysteresis, clears only once it is back to low
/// (not merely medium). Existing high-risk positions fire at once.
enum DemoTrigger {
    static let name = "high_risk"

    static let mutation = """
        mutation ($webhook: String!, $secret: String) {
          create_positions_trigger(input: {
            name: "\(name)", webhook: $webhook, secret: $secret, fire_for_existing_rows: true,
            fire: {risk_level: {_eq: high}}, clear: {risk_level: {_eq: low}}
          }) { name }
        }
        """

    /// POSTs the mutation to the server on `port`; a failure is logged, not fatal (the demo's
    /// data still flows without its trigger).
    static func create(serverPort: Int, webhook: String, secret: WebhookSecret, logger: Logger) async {
        let body: [String: Any] = ["query": mutation, "variables": ["webhook": webhook, "secret": secret.text]]
        do {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(serverPort)/graphql")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let answer = try await response.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
            if let errors = object?["errors"] as? [[String: Any]], let first = errors.first {
                logger.warning("demo: could not create the trigger '\(name)': \(first["message"] ?? "unknown error")")
                return
            }
            logger.info("demo: trigger '\(name)' on positions posts to \(webhook) (FIRE at risk_level high, CLEAR back at low)")
        } catch {
            logger.warning("demo: could not create the trigger '\(name)': \(error)")
        }
    }
}
