import Foundation
import GraphQL
import GraphQLAPI
import LiveViews

/// What every transport shares: the schema, the document cache, the subscription planner,
/// the hub subscriptions come from, and the encodings shared between subscribers.
public final class GraphQLService: Sendable {
    public let api: APISchema
    public let documents: DocumentCache
    public let encodings: EncodingCache
    let planner: SubscriptionPlanner
    let hub: any SubscriptionHub
    let subscriptionOptions: SubscriptionOptions
    /// What every transport records; rendered at `GET /metrics`.
    public let metrics: ServerMetrics

    public init(
        api: APISchema, hub: any SubscriptionHub, maximumQueryBytes: Int = 64 * 1024, maximumNestingDepth: Int = 32,
        subscriptionOptions: SubscriptionOptions = SubscriptionOptions(), metrics: ServerMetrics = .disabled()
    ) throws(GraphQLAPIError) {
        self.api = api
        self.documents = DocumentCache(api: api, maximumQueryBytes: maximumQueryBytes, maximumNestingDepth: maximumNestingDepth)
        self.planner = try SubscriptionPlanner(api: api)
        self.hub = hub
        self.encodings = EncodingCache()
        self.subscriptionOptions = subscriptionOptions
        self.metrics = metrics
    }

    /// How an operation runs.
    public enum Operation: Sendable {
        /// A query or mutation: one result payload (`{"data":…,"errors":…}`).
        case single([UInt8])
        /// A live subscription: events to encode with the projection.
        case stream(LiveSubscription)
        /// The operation could not start (parse, validation, planning or source errors).
        case failed([GraphQLError])
    }

    /// A running subscription with everything needed to encode its events.
    public struct LiveSubscription: Sendable {
        public let plan: SubscriptionPlan
        public let events: Subscription
        let projectionID: Int
        let encodings: EncodingCache

        /// The payload of `event`, shared with every subscriber of the same projection.
        public func payload(for event: ViewEvent) -> [UInt8] {
            encodings.payload(for: event, projection: plan.projection, id: projectionID)
        }
    }

    /// Parses (through the cache), validates and starts `request`.
    public func start(_ request: GraphQLRequest, allowSubscriptions: Bool = true) async -> Operation {
        let document: ValidatedDocument
        switch documents.document(for: request.query) {
        case .success(let validated): document = validated
        case .failure(let errors):
            metrics.operation(.invalid, succeeded: false)
            return .failed(errors.errors)
        }
        guard let type = document.operationType(named: request.operationName) else {
            let message = request.operationName.map { "Unknown operation named \"\($0)\"." }
                ?? "Must provide operation name if query contains multiple operations."
            metrics.operation(.invalid, succeeded: false)
            return .failed([GraphQLError(message: message)])
        }
        switch type {
        case .subscription:
            guard allowSubscriptions else {
                metrics.operation(.subscription, succeeded: false)
                return .failed([GraphQLError(
                    message: "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws or graphql-ws), not over HTTP.")])
            }
            let operation = await subscribe(document, request: request)
            if case .stream = operation {
                metrics.operation(.subscription, succeeded: true)
            } else {
                metrics.operation(.subscription, succeeded: false)
            }
            return operation
        case .query, .mutation:
            let kind: ServerMetrics.OperationKind = type == .query ? .query : .mutation
            do {
                let result = try await execute(
                    schema: api.schema, documentAST: document.document, rootValue: (), context: (),
                    variableValues: request.variables, operationName: request.operationName)
                let payload = try Self.encode(result)
                metrics.operation(kind, succeeded: result.errors.isEmpty)
                return .single(payload)
            } catch let error as GraphQLError {
                metrics.operation(kind, succeeded: false)
                return .failed([error])
            } catch {
                metrics.operation(kind, succeeded: false)
                return .failed([GraphQLError(message: "\(error)")])
            }
        }
    }

    private func subscribe(_ document: ValidatedDocument, request: GraphQLRequest) async -> Operation {
        let plan: SubscriptionPlan
        switch await planner.plan(document, operationName: request.operationName, variables: request.variables) {
        case .success(let planned): plan = planned
        case .failure(let errors): return .failed(errors.errors)
        }
        var options = subscriptionOptions
        options.columns = plan.projection.relevantColumns
        do {
            let events = try await hub.subscribe(source: plan.source.schema.name, filter: plan.filter, options: options)
            let id = encodings.identifier(for: plan.projection, source: plan.source.schema.name)
            return .stream(LiveSubscription(plan: plan, events: events, projectionID: id, encodings: encodings))
        } catch {
            return .failed([GraphQLError(message: error.description)])
        }
    }

    /// A result as the bytes of its JSON object.
    static func encode(_ result: GraphQLResult) throws -> [UInt8] {
        Array(try GraphQLJSONEncoder().encode(result))
    }

    /// `{"errors":[…]}` for errors that prevented execution.
    static func encode(errors: [GraphQLError]) -> [UInt8] {
        (try? encode(GraphQLResult(data: nil, errors: errors))) ?? Array(#"{"errors":[{"message":"internal error"}]}"#.utf8)
    }
}
