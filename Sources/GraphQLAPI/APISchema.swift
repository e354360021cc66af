import GraphQL
import LiveViews
import OrderedCollections

/// The GraphQL schema generated from a ``SchemaFile``, built once at startup.
///
/// Names and shapes follow upstream tycostream's `src/api/schema.ts` so Apollo clients written
/// for upstream work unchanged. Per source `s`:
///
/// ```graphql
/// type Subscription { s(where: sExpression): sUpdate! }
/// type sUpdate { operation: RowOperation! data: s fields: [String!]! }
/// type Query { s_triggers: [Trigger!]!  s_trigger(name: String!): Trigger }
/// type Mutation { create_s_trigger(input: sTriggerInput!): Trigger!  delete_s_trigger(name: String!): Trigger! }
/// ```
///
/// Deliberate supersets of upstream (additive, so upstream clients are unaffected):
/// `StringComparison` also has `_gt _gte _lt _lte` (upstream documents `_gt` on timestamps,
/// which its schema rejected) and `_like _ilike _nlike _nilike`; JSON and Array columns are a
/// `JSON` scalar carrying real JSON values instead of upstream's `String`; every primary key
/// column of a composite key is non-null.
public struct APISchema: Sendable {
    public let file: SchemaFile
    public let schema: GraphQLSchema

    /// Builds and validates the schema.
    ///
    /// - Throws: ``GraphQLAPIError`` with code `invalidGeneratedSchema` if GraphQLSwift rejects
    ///   what we generated. ``SchemaFile`` checks names first, so this is a bug of ours,
    ///   reported rather than trapped.
    public init(file: SchemaFile, resolvers: Resolvers = Resolvers()) throws(GraphQLAPIError) {
        self.file = file
        do {
            self.schema = try Builder(file: file, resolvers: resolvers).build()
        } catch let error as GraphQLAPIError {
            throw error
        } catch {
            throw GraphQLAPIError(.invalidGeneratedSchema, "cannot build the GraphQL schema: \(error)")
        }
        let errors = validateSchema(schema: schema)
        guard errors.isEmpty else {
            throw GraphQLAPIError(
                .invalidGeneratedSchema,
                "the generated GraphQL schema is invalid: " + errors.map(\.message).joined(separator: "; "))
        }
    }

    /// The schema as SDL, for `tycostream generate-schema` and client code generators.
    public var sdl: String { printSchema(schema: schema) }

    /// Validates an operation document against the schema with the spec's rules.
    public func validate(_ document: Document) -> [GraphQLError] {
        GraphQL.validate(schema: schema, ast: document)
    }
}

/// Builds the GraphQLSwift types. Types are passed to `GraphQLSchema` in upstream's order
/// (enums, Trigger, comparisons, expressions, trigger inputs, object types) so the printed SDL
/// is stable.
private struct Builder {
    let file: SchemaFile
    let resolvers: Resolvers

    func build() throws -> GraphQLSchema {
        let json = try GraphQLScalarType(
            name: GeneratedNames.json,
            description: "A JSON value (object, array, string, number, boolean or null), for JSON and Array columns.",
            serialize: { value in
                if let map = value as? Map { return map }
                return try map(from: value)
            })

        let rowOperation = try GraphQLEnumType(
            name: GeneratedNames.rowOperation,
            values: .init(uniqueKeysWithValues: RowUpdate.Operation.allCases.map { ($0.rawValue, GraphQLEnumValue(value: .string($0.rawValue))) }))

        var enumTypes: [String: GraphQLEnumType] = [:]
        for declared in file.enums {
            enumTypes[declared.name] = try GraphQLEnumType(
                name: declared.name,
                values: .init(uniqueKeysWithValues: declared.values.map { ($0, GraphQLEnumValue(value: .string($0))) }))
        }

        let deliveryStatus = try GraphQLObjectType(
            name: GeneratedNames.triggerDeliveryStatus,
            fields: [
                "pending": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { status, _, _, _ in (status as? TriggerStatus)?.pending },
                "delivered": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { status, _, _, _ in (status as? TriggerStatus)?.delivered },
                "failed_attempts": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { status, _, _, _ in
                    (status as? TriggerStatus)?.failedAttempts
                },
                "consecutive_failures": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { status, _, _, _ in
                    (status as? TriggerStatus)?.consecutiveFailures
                },
                "dead_letters": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { status, _, _, _ in (status as? TriggerStatus)?.deadLetters },
                "last_success": GraphQLField(type: GraphQLString) { status, _, _, _ in (status as? TriggerStatus)?.lastSuccess },
                "last_failure": GraphQLField(type: GraphQLString) { status, _, _, _ in (status as? TriggerStatus)?.lastFailure },
                "last_error": GraphQLField(type: GraphQLString) { status, _, _, _ in (status as? TriggerStatus)?.lastError },
            ])
        let trigger = try GraphQLObjectType(
            name: GeneratedNames.trigger,
            fields: [
                "name": GraphQLField(type: GraphQLNonNull(GraphQLString)) { source, _, _, _ in (source as? TriggerDefinition)?.name },
                "webhook": GraphQLField(type: GraphQLNonNull(GraphQLString)) { source, _, _, _ in (source as? TriggerDefinition)?.webhook },
                "fire": GraphQLField(type: GraphQLNonNull(GraphQLString)) { source, _, _, _ in (source as? TriggerDefinition)?.fire.jsonText },
                "clear": GraphQLField(type: GraphQLString) { source, _, _, _ in (source as? TriggerDefinition)?.clear?.jsonText },
                "fire_for_existing_rows": GraphQLField(type: GraphQLNonNull(GraphQLBoolean)) { source, _, _, _ in
                    (source as? TriggerDefinition)?.fireForExistingRows
                },
                "signed": GraphQLField(type: GraphQLNonNull(GraphQLBoolean)) { source, _, _, _ in (source as? TriggerDefinition)?.signed },
                "status": GraphQLField(type: GraphQLNonNull(deliveryStatus)) { source, _, _, _ in
                    (source as? TriggerDefinition).map { $0.status ?? TriggerStatus() }
                },
            ])
        let deadLetter = try GraphQLObjectType(
            name: GeneratedNames.webhookDeadLetter,
            fields: [
                "event_id": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.eventID },
                "source": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.source },
                "trigger_name": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in
                    (letter as? DeadLetterView)?.triggerName
                },
                "event_type": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.eventType },
                "attempts": GraphQLField(type: GraphQLNonNull(GraphQLInt)) { letter, _, _, _ in (letter as? DeadLetterView)?.attempts },
                "reason": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.reason },
                "failed_at": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.failedAt },
                "payload": GraphQLField(type: GraphQLNonNull(GraphQLString)) { letter, _, _, _ in (letter as? DeadLetterView)?.payload },
            ])

        let stringComparison = try comparison(GeneratedNames.stringComparison, operand: GraphQLString, ordered: true, text: true)
        let intComparison = try comparison(GeneratedNames.intComparison, operand: GraphQLInt, ordered: true, text: false)
        let floatComparison = try comparison(GeneratedNames.floatComparison, operand: GraphQLFloat, ordered: true, text: false)
        let booleanComparison = try comparison(GeneratedNames.booleanComparison, operand: GraphQLBoolean, ordered: false, text: false)
        var enumComparisons: [String: GraphQLInputObjectType] = [:]
        for declared in file.enums {
            guard let type = enumTypes[declared.name] else { preconditionFailure("enum type built above") }
            enumComparisons[declared.name] = try comparison(
                GeneratedNames.enumComparisonType(declared.name), operand: type, ordered: true, text: false)
        }

        func comparisonType(_ type: ColumnType) -> GraphQLInputObjectType {
            switch type {
            case .integer: intComparison
            case .float: floatComparison
            case .boolean: booleanComparison
            // As upstream: every type carried as a GraphQL String or ID compares through StringComparison.
            case .bigInt, .string, .uuid, .timestamp, .date, .time, .json, .array: stringComparison
            case .enumeration(let declared):
                enumComparisons[declared.name] ?? stringComparison
            }
        }

        func outputType(_ type: ColumnType) -> any GraphQLOutputType & GraphQLNullableType {
            switch type {
            case .integer: GraphQLInt
            case .float: GraphQLFloat
            case .bigInt, .string, .timestamp, .date, .time: GraphQLString
            case .uuid: GraphQLID
            case .boolean: GraphQLBoolean
            case .json, .array: json
            case .enumeration(let declared):
                enumTypes[declared.name] ?? GraphQLString
            }
        }

        var expressions: [GraphQLInputObjectType] = []
        var triggerInputs: [GraphQLInputObjectType] = []
        var objectTypes: [any GraphQLNamedType] = []
        var queryFields = GraphQLFieldMap()
        var mutationFields = GraphQLFieldMap()
        var subscriptionFields = GraphQLFieldMap()

        for source in file.sources {
            let name = source.name
            let expression = try GraphQLInputObjectType(name: GeneratedNames.expressionType(name))
            let columnComparisons = source.schema.columns.map { ($0.name, comparisonType($0.type)) }
            // The expression refers to itself (`_and`, `_or`, `_not`). The closure is owned by the
            // type it refers to, so `unowned` cannot dangle and there is no retain cycle.
            expression.fields = { [unowned expression] in
                var fields = InputObjectFieldMap()
                for (column, comparison) in columnComparisons {
                    fields[column] = InputObjectField(type: comparison)
                }
                fields["_and"] = InputObjectField(type: GraphQLList(GraphQLNonNull(expression)))
                fields["_or"] = InputObjectField(type: GraphQLList(GraphQLNonNull(expression)))
                fields["_not"] = InputObjectField(type: expression)
                return fields
            }
            expressions.append(expression)

            triggerInputs.append(
                try GraphQLInputObjectType(
                    name: GeneratedNames.triggerInputType(name),
                    fields: [
                        "name": InputObjectField(type: GraphQLNonNull(GraphQLString)),
                        "webhook": InputObjectField(type: GraphQLNonNull(GraphQLString)),
                        "fire": InputObjectField(type: GraphQLNonNull(expression)),
                        "clear": InputObjectField(type: expression),
                        "fire_for_existing_rows": InputObjectField(type: GraphQLBoolean, defaultValue: .bool(false)),
                        "secret": InputObjectField(type: GraphQLString),
                    ]))

            var rowFields = GraphQLFieldMap()
            for (index, column) in source.schema.columns.enumerated() {
                let type = outputType(column.type)
                let columnName = column.name
                rowFields[columnName] = GraphQLField(
                    type: source.schema.primaryKey.contains(index) ? GraphQLNonNull(type) : type
                ) { row, _, _, _ in
                    // GraphQLSwift 4.3 treats a returned `Map.null` as a value to serialise (and
                    // reports an error for it); Swift `nil` is what it renders as null.
                    guard let value = (row as? [String: Map])?[columnName], value != .null else { return nil as Map? }
                    return value
                }
            }
            let rowType = try GraphQLObjectType(name: GeneratedNames.sourceType(name), fields: rowFields)
            let updateType = try GraphQLObjectType(
                name: GeneratedNames.updateType(name),
                fields: [
                    "operation": GraphQLField(type: GraphQLNonNull(rowOperation)) { update, _, _, _ in
                        (update as? RowUpdate)?.operation.rawValue
                    },
                    "data": GraphQLField(type: rowType) { update, _, _, _ in (update as? RowUpdate)?.data },
                    "fields": GraphQLField(type: GraphQLNonNull(GraphQLList(GraphQLNonNull(GraphQLString)))) { update, _, _, _ in
                        (update as? RowUpdate)?.fields
                    },
                ])
            objectTypes.append(rowType)
            objectTypes.append(updateType)

            let triggers = resolvers.triggers
            queryFields[GeneratedNames.listTriggersField(name)] = GraphQLField(
                type: GraphQLNonNull(GraphQLList(GraphQLNonNull(trigger))),
                resolve: { _, _, _, _ in try await triggers.listTriggers(source: source) })
            queryFields[GeneratedNames.triggerField(name)] = GraphQLField(
                type: trigger,
                args: ["name": GraphQLArgument(type: GraphQLNonNull(GraphQLString))],
                resolve: { _, args, _, _ in try await triggers.trigger(source: source, name: args["name"].string ?? "") })
            mutationFields[GeneratedNames.createTriggerField(name)] = GraphQLField(
                type: GraphQLNonNull(trigger),
                args: ["input": GraphQLArgument(type: GraphQLNonNull(triggerInputs[triggerInputs.count - 1]))],
                resolve: { _, args, _, _ in
                    let input = args["input"]
                    let definition = TriggerDefinition(
                        name: input["name"].string ?? "",
                        webhook: input["webhook"].string ?? "",
                        fire: try FilterInput(graphQL: input["fire"]),
                        clear: input["clear"].isUndefined || input["clear"].isNull ? nil : try FilterInput(graphQL: input["clear"]),
                        fireForExistingRows: input["fire_for_existing_rows"].bool ?? false,
                        secret: input["secret"].string)
                    return try await triggers.createTrigger(source: source, definition)
                })
            mutationFields[GeneratedNames.deleteTriggerField(name)] = GraphQLField(
                type: GraphQLNonNull(trigger),
                args: ["name": GraphQLArgument(type: GraphQLNonNull(GraphQLString))],
                resolve: { _, args, _, _ in try await triggers.deleteTrigger(source: source, name: args["name"].string ?? "") })

            let subscriptions = resolvers.subscriptions
            subscriptionFields[name] = GraphQLField(
                type: GraphQLNonNull(updateType),
                args: ["where": GraphQLArgument(type: expression)],
                // Each event the stream yields is the `sUpdate` value itself.
                resolve: { event, _, _, _ in event },
                subscribe: { _, args, context, _ in
                    guard let subscriptions else {
                        throw GraphQLAPIError(
                            .subscriptionsUnavailable,
                            "subscriptions are served over the WebSocket endpoint; this schema has no executor subscription service")
                    }
                    let filter = try FilterInput.whereArgument(args["where"])
                    return try await subscriptions.subscribe(source: source, where: filter, context: context)
                })
        }

        let triggers = resolvers.triggers
        queryFields[GeneratedNames.deadLettersField] = GraphQLField(
            type: GraphQLNonNull(GraphQLList(GraphQLNonNull(deadLetter))),
            description: "Webhook deliveries given up on after their retries, oldest first.",
            args: ["source": GraphQLArgument(type: GraphQLString), "trigger": GraphQLArgument(type: GraphQLString)],
            resolve: { _, args, _, _ in try await triggers.deadLetters(source: args["source"].string, trigger: args["trigger"].string) })
        mutationFields[GeneratedNames.retryDeadLetterField] = GraphQLField(
            type: GraphQLNonNull(GraphQLBoolean),
            description: "Puts a dead letter back in line for delivery; false when there is none with that id.",
            args: ["event_id": GraphQLArgument(type: GraphQLNonNull(GraphQLString))],
            resolve: { _, args, _, _ in try await triggers.retryDeadLetter(eventID: args["event_id"].string ?? "") })
        mutationFields[GeneratedNames.discardDeadLetterField] = GraphQLField(
            type: GraphQLNonNull(GraphQLBoolean),
            description: "Drops a dead letter for good; false when there is none with that id.",
            args: ["event_id": GraphQLArgument(type: GraphQLNonNull(GraphQLString))],
            resolve: { _, args, _, _ in try await triggers.discardDeadLetter(eventID: args["event_id"].string ?? "") })

        var types: [any GraphQLNamedType] = [rowOperation]
        types += file.enums.compactMap { enumTypes[$0.name] }
        types += [trigger, deliveryStatus, deadLetter]
        types += [stringComparison, intComparison, floatComparison, booleanComparison]
        types += file.enums.compactMap { enumComparisons[$0.name] }
        types += expressions as [any GraphQLNamedType]
        types += triggerInputs as [any GraphQLNamedType]
        types += objectTypes
        types.append(json)

        return try GraphQLSchema(
            query: GraphQLObjectType(name: "Query", fields: queryFields),
            mutation: GraphQLObjectType(name: "Mutation", fields: mutationFields),
            subscription: GraphQLObjectType(name: "Subscription", fields: subscriptionFields),
            types: types)
    }

    /// A comparison input: `_eq _neq [_gt _gte _lt _lte] _in _nin _is_null [_like _ilike _nlike _nilike]`.
    private func comparison(
        _ name: String, operand: any GraphQLInputType & GraphQLNullableType, ordered: Bool, text: Bool
    ) throws -> GraphQLInputObjectType {
        var fields = InputObjectFieldMap()
        fields["_eq"] = InputObjectField(type: operand)
        fields["_neq"] = InputObjectField(type: operand)
        if ordered {
            for op in ["_gt", "_gte", "_lt", "_lte"] { fields[op] = InputObjectField(type: operand) }
            fields["_in"] = InputObjectField(type: GraphQLList(GraphQLNonNull(operand)))
            fields["_nin"] = InputObjectField(type: GraphQLList(GraphQLNonNull(operand)))
        }
        fields["_is_null"] = InputObjectField(type: GraphQLBoolean)
        if text {
            for op in ["_like", "_ilike", "_nlike", "_nilike"] { fields[op] = InputObjectField(type: GraphQLString) }
        }
        return try GraphQLInputObjectType(name: name, fields: fields)
    }
}
