import Testing
@testable import Webhooks

@Suite struct DeliveryPolicyTests {
    let policy = DeliveryPolicy(maxAttempts: 4, initialBackoff: .seconds(1), maxBackoff: .seconds(5), jitter: 0.5)

    @Test func onlyTwoHundredsSucceed() {
        #expect(policy.decide(attempt: 1, result: .response(status: 200, retryAfter: nil), nowMillis: 0, random: 0) == .delivered)
        #expect(policy.decide(attempt: 1, result: .response(status: 204, retryAfter: nil), nowMillis: 0, random: 0) == .delivered)
        for status in [301, 302, 400, 404, 500] {
            #expect(policy.decide(attempt: 1, result: .response(status: status, retryAfter: nil), nowMillis: 0, random: 0)
                == .retry(after: .seconds(1), reason: "HTTP \(status)"))
        }
    }

    @Test func backoffDoublesWithJitterAndCap() {
        #expect(policy.backoff(afterAttempt: 1, random: 0) == .seconds(1))
        #expect(policy.backoff(afterAttempt: 2, random: 0) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 3, random: 0) == .seconds(4))
        #expect(policy.backoff(afterAttempt: 4, random: 0) == .seconds(5))
        #expect(policy.backoff(afterAttempt: 60, random: 0) == .seconds(5))
        #expect(policy.backoff(afterAttempt: 3, random: 1) == .seconds(2))
        #expect(policy.backoff(afterAttempt: 1, random: 0.5) == .milliseconds(750))
    }

    @Test func deadLettersAfterTheLimitOrARefusal() {
        #expect(policy.decide(attempt: 4, result: .transportFailure("connection refused"), nowMillis: 0, random: 0)
            == .deadLetter(reason: "connection refused after 4 attempts"))
        #expect(policy.decide(attempt: 1, result: .refused("no"), nowMillis: 0, random: 0) == .deadLetter(reason: "no"))
    }

    @Test func honoursRetryAfterOn429And503() {
        #expect(policy.decide(attempt: 1, result: .response(status: 429, retryAfter: "7"), nowMillis: 0, random: 0.9)
            == .retry(after: .seconds(7), reason: "HTTP 429"))
        let now = DeliveryPolicy.httpDateMillis("Sun, 06 Nov 1994 08:49:37 GMT")!
        #expect(policy.decide(attempt: 2, result: .response(status: 503, retryAfter: "Sun, 06 Nov 1994 08:49:40 GMT"),
                              nowMillis: now, random: 0) == .retry(after: .seconds(3), reason: "HTTP 503"))
        // Ignored on other statuses, and when unparseable.
        #expect(policy.decide(attempt: 1, result: .response(status: 500, retryAfter: "7"), nowMillis: 0, random: 0)
            == .retry(after: .seconds(1), reason: "HTTP 500"))
        #expect(policy.decide(attempt: 1, result: .response(status: 429, retryAfter: "soon"), nowMillis: 0, random: 0)
            == .retry(after: .seconds(1), reason: "HTTP 429"))
        let capped = DeliveryPolicy(maxRetryAfter: .seconds(60))
        #expect(capped.decide(attempt: 1, result: .response(status: 429, retryAfter: "99999999999999"), nowMillis: 0, random: 0)
            == .retry(after: .seconds(60), reason: "HTTP 429"))
    }

    @Test func parsesHTTPDates() {
        #expect(DeliveryPolicy.httpDateMillis("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777_000)
        #expect(DeliveryPolicy.httpDateMillis("Sun, 06 Nov 1994 08:49:37 PST") == nil)
        #expect(DeliveryPolicy.httpDateMillis("Sun, 6 Nov 1994 08:49:37 GMT") == nil)
        #expect(DeliveryPolicy.httpDateMillis("") == nil)
        #expect(DeliveryPolicy.retryAfter(" 120 ", nowMillis: 0) == .seconds(120))
        #expect(DeliveryPolicy.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", nowMillis: 784_111_787_000) == .zero)
        #expect(DeliveryPolicy.retryAfter("-5", nowMillis: 0) == nil)
    }
}
