import GraphQL
import LiveViews
import OrderedCollections
import Synchronization

/// Everything the server needs to serve one subscription without GraphQLSwift's executor:
/// which source, which rows (the `where` filter), and how to write each event.
public struct SubscriptionPlan: Sendable {
    public let source: SourceDefinition
    /// The root field's alias or name: the key of each event under `data`.
    public let responseKey: String
    /// The `where` argument, variables substituted (`{}` when absent or `null`).
    public let whereInput: FilterInput
    /// `whereInput` compiled against the source's schema.
    public let filter: Filter
    /// The compiled selection set.
    public let projection: Projection
}

/// Turns (validated document, operation name, variables) into a ``SubscriptionPlan``.
///
/// Variables and the `where` argument are coerced by GraphQLSwift itself, so the client gets
/// its exact errors and semantics (defaults, nullability, enum and scalar coercion,
/// `@include` / `@skip` on the root field): the planner runs the document once through
/// `execute` against a schema of its own whose subscription fields take the same `where` input
/// types as the API's but only record their coerced arguments. That costs one execution per
/// subscription, never one per event. Everything else (the selection set) is compiled into a
/// ``Projection``.
public struct SubscriptionPlanner: Sendable {
    public let api: APISchema
    private let coercion: GraphQLSchema

    /// - Throws: ``GraphQLAPIError`` `invalidGeneratedSchema` when the API schema lacks what
    ///   ``APISchema`` always generates (a bug of ours).
    public init(api: APISchema) throws(GraphQLAPIError) {
        self.api = api
        do {
            var fields = GraphQLFieldMap()
            let apiFields = try api.schema.subscriptionType?.fields() ?? [:]
            for source in api.file.sources {
                guard let whereType = apiFields[source.name]?.args["where"]?.type else {
                    throw GraphQLAPIError(.invalidGeneratedSchema, "subscription field '\(source.name)' has no `where` argument")
                }
                let name = source.name
                fields[name] = GraphQLField(
                    type: GraphQLString, args: ["where": GraphQLArgument(type: whereType)],
                    resolve: { _, args, context, info in
                        (context as? Capture)?.record(source: name, arguments: args, info: info)
                        return nil
                    })
            }
            self.coercion = try GraphQLSchema(
                query: GraphQLObjectType(name: "Query", fields: ["_": GraphQLField(type: GraphQLString)]),
                subscription: GraphQLObjectType(name: "Subscription", fields: fields))
        } catch let error as GraphQLAPIError {
            throw error
        } catch {
            throw GraphQLAPIError(.invalidGeneratedSchema, "cannot build the subscription planning schema: \(error)")
        }
    }

    /// Plans the subscription `operationName` of `document` with the client's `variables`.
    ///
    /// Failures are GraphQL errors (locations included where a node is at fault) for the
    /// client: not a subscription, unknown operation, missing or ill-typed variables, more
    /// than one root field, a `where` that does not compile against the source.
    public func plan(_ document: ValidatedDocument, operationName: String?, variables: [String: Map])
        async -> Result<SubscriptionPlan, GraphQLErrors> {
        if let operation = document.operation(named: operationName), operation.operation != .subscription {
            return .failure(GraphQLErrors([GraphQLError(
                message: "The operation is a \(operation.operation.rawValue), not a subscription; send it as a query or mutation.",
                nodes: [operation])]))
        }
        let capture = Capture()
        let result: GraphQLResult
        do {
            result = try await execute(
                schema: coercion, documentAST: document.document, rootValue: (), context: capture,
                variableValues: variables, operationName: operationName)
        } catch let error as GraphQLError {
            return .failure(GraphQLErrors([error]))
        } catch {
            return .failure(GraphQLErrors([GraphQLError(error)]))
        }
        guard result.errors.isEmpty else { return .failure(GraphQLErrors(result.errors)) }
        let keys: [String]
        if case .dictionary(let data)? = result.data { keys = Array(data.keys) } else { keys = [] }
        let captured = capture.calls
        guard keys.count == 1, captured.count == 1, let call = captured.first, call.responseKey == keys[0] else {
            // https://spec.graphql.org/October2021/#sec-Single-root-field (GraphQLSwift does not check it).
            let operation = document.operation(named: operationName)
            return .failure(GraphQLErrors([GraphQLError(
                message: keys.isEmpty
                    ? "The subscription selects no source (are all root fields skipped?); select exactly one."
                    : "A subscription must select exactly one source, not an introspection field nor several (\(keys.joined(separator: ", "))).",
                nodes: operation.map { [$0.selectionSet] } ?? [])]))
        }
        guard let source = api.file.source(named: call.source) else {
            return .failure(GraphQLErrors([GraphQLError(
                message: "Cannot query field \"\(call.source)\" on type \"Subscription\".", nodes: [call.fields[0]])]))
        }
        let whereNode: any Node = call.fields[0].arguments.first { $0.name.value == "where" } ?? call.fields[0]
        let whereInput: FilterInput
        let filter: Filter
        do throws(GraphQLAPIError) {
            whereInput = try FilterInput.whereArgument(call.arguments["where"])
        } catch {
            return .failure(GraphQLErrors([GraphQLError(message: error.message, nodes: [whereNode])]))
        }
        do throws(LiveViewsError) {
            filter = try Filter(whereInput, schema: source.schema)
        } catch {
            return .failure(GraphQLErrors([GraphQLError(message: "where: \(error.message)", nodes: [whereNode])]))
        }
        let projection: Projection
        do throws(GraphQLError) {
            projection = try Projection(
                responseKey: call.responseKey, rootFields: call.fields, fragments: call.fragments,
                variables: call.variables, source: source)
        } catch {
            return .failure(GraphQLErrors([error]))
        }
        return .success(SubscriptionPlan(
            source: source, responseKey: call.responseKey, whereInput: whereInput, filter: filter, projection: projection))
    }
}

/// Records what the planning schema's resolvers saw; one per `plan` call.
private final class Capture: Sendable {
    struct Call: Sendable {
        let source: String
        let responseKey: String
        let arguments: Map
        let fields: [Field]
        let fragments: [String: FragmentDefinition]
        let variables: [String: Map]
    }

    private let state = Mutex<[Call]>([])

    var calls: [Call] { state.withLock { $0 } }

    func record(source: String, arguments: Map, info: GraphQLResolveInfo) {
        var variables: [String: Map] = [:]
        for (name, value) in info.variableValues {
            if let map = value as? Map { variables[name] = map }
        }
        let field = info.fieldASTs[0]
        let call = Call(
            source: source, responseKey: field.alias?.value ?? field.name.value, arguments: arguments,
            fields: info.fieldASTs, fragments: info.fragments, variables: variables)
        state.withLock { $0.append(call) }
    }
}
