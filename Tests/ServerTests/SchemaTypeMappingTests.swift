import LiveViews
import Server
import Testing

@Suite struct SchemaTypeMappingTests {
    @Test func normalizesModifiersCaseAndSpaces() {
        #expect(SchemaTypeMapping.normalized("numeric(10,2)") == "numeric")
        #expect(SchemaTypeMapping.normalized("character varying(20)") == "character varying")
        #expect(SchemaTypeMapping.normalized("TIMESTAMP(3)  WITH TIME ZONE") == "timestamp with time zone")
        #expect(SchemaTypeMapping.normalized("integer []") == "integer[]")
        #expect(SchemaTypeMapping.normalized("ARRAY") == "array")
        #expect(SchemaTypeMapping.normalized("  text ") == "text")
    }

    @Test(arguments: [
        (ColumnType.integer, ["smallint", "integer", "bigint", "int4", "uint2", "uint8"], ["numeric", "text", "real"]),
        (.float, ["real", "double precision", "numeric", "float8", "numeric(12,4)"], ["integer", "text"]),
        (.bigInt, ["bigint", "numeric", "integer", "int8"], ["double precision", "text"]),
        (.string, ["text", "character varying", "character", "name", "varchar(10)", "interval", "bytea", "map[text=>integer]"],
         ["integer", "uuid", "timestamp with time zone", "boolean", "jsonb", "ARRAY", "integer list", "date"]),
        (.uuid, ["uuid"], ["text"]),
        (.timestamp, ["timestamp with time zone", "timestamp without time zone", "timestamptz", "timestamp"], ["date", "time"]),
        (.date, ["date"], ["timestamp"]),
        (.time, ["time without time zone", "time"], ["time with time zone", "timestamp"]),
        (.boolean, ["boolean", "bool"], ["integer"]),
        (.json, ["json", "jsonb"], ["text"]),
        (.array, ["ARRAY", "integer[]", "text[]", "integer list", "list"], ["text", "jsonb"]),
    ])
    func acceptsTheDocumentedSpellings(type: ColumnType, accepted: [String], refused: [String]) {
        for dataType in accepted {
            #expect(SchemaTypeMapping.accepts(type, dataType: dataType), "\(type) should accept \(dataType)")
        }
        for dataType in refused {
            #expect(!SchemaTypeMapping.accepts(type, dataType: dataType), "\(type) should refuse \(dataType)")
        }
    }

    @Test func enumsAcceptTextAndPostgresEnums() {
        let side = ColumnType.enumeration(EnumType(name: "side", values: ["buy", "sell"]))
        #expect(SchemaTypeMapping.accepts(side, dataType: "text"))
        #expect(SchemaTypeMapping.accepts(side, dataType: "character varying"))
        #expect(SchemaTypeMapping.accepts(side, dataType: "USER-DEFINED"))
        #expect(!SchemaTypeMapping.accepts(side, dataType: "integer"))
    }

    @Test func generatesUpstreamTypes() {
        let expected: [(String, ColumnType?)] = [
            ("smallint", .integer), ("integer", .integer), ("bigint", .bigInt), ("real", .float), ("double precision", .float),
            ("numeric", .float), ("text", .string), ("character varying", .string), ("uuid", .uuid),
            ("timestamp with time zone", .timestamp), ("timestamp without time zone", .timestamp), ("date", .date),
            ("time without time zone", .time), ("boolean", .boolean), ("jsonb", .json), ("json", .json), ("ARRAY", .array),
            ("text[]", .array), ("integer list", .array), ("uint4", .bigInt), ("interval", nil), ("bytea", nil),
            ("USER-DEFINED", nil), ("time with time zone", nil),
        ]
        for (dataType, type) in expected {
            #expect(SchemaTypeMapping.generatedType(forDataType: dataType) == type, "\(dataType)")
        }
    }

    /// Whatever the generator writes for a data type, the check accepts for it.
    @Test func generatedTypesPassTheCheck() {
        let dataTypes = [
            "smallint", "integer", "bigint", "real", "double precision", "numeric", "text", "character varying", "character",
            "name", "uuid", "timestamp with time zone", "timestamp without time zone", "date", "time without time zone",
            "boolean", "json", "jsonb", "ARRAY", "integer list", "uint2", "uint4", "uint8", "interval", "bytea", "USER-DEFINED",
            "time with time zone", "map[text=>integer]",
        ]
        for dataType in dataTypes {
            let type = SchemaTypeMapping.generatedType(forDataType: dataType) ?? .string
            #expect(SchemaTypeMapping.accepts(type, dataType: dataType), "\(dataType) → \(type)")
        }
        #expect(SchemaTypeMapping.isCarriedAsText("interval"))
        #expect(!SchemaTypeMapping.isCarriedAsText("text"))
        #expect(!SchemaTypeMapping.isCarriedAsText("integer"))
    }
}
