using System.Globalization;

namespace GenesysDedup.Testing.Otlp;

/// <summary>
/// Reads the OTLP export requests (opentelemetry-proto, collector/*/v1) into the records tests assert on. Field numbers
/// are the .proto files': only the ones named here are read, every other field is skipped.
/// </summary>
internal static class OtlpDecoder
{
    /// <summary>ExportTraceServiceRequest: resource_spans(1) → scope_spans(2) → scope(1), spans(2).</summary>
    public static List<OtlpSpan> ReadTraces(byte[] data)
    {
        var spans = new List<OtlpSpan>();
        ForEachScope(data, (scope, items) =>
        {
            foreach (var span in items)
            {
                spans.Add(ReadSpan(scope, span));
            }
        });
        return spans;
    }

    /// <summary>ExportMetricsServiceRequest: resource_metrics(1) → scope_metrics(2) → scope(1), metrics(2).</summary>
    public static List<OtlpMetric> ReadMetrics(byte[] data)
    {
        var metrics = new List<OtlpMetric>();
        ForEachScope(data, (scope, items) =>
        {
            foreach (var metric in items)
            {
                metrics.Add(ReadMetric(scope, metric));
            }
        });
        return metrics;
    }

    /// <summary>ExportLogsServiceRequest: resource_logs(1) → scope_logs(2) → scope(1), log_records(2).</summary>
    public static List<OtlpLogRecord> ReadLogs(byte[] data)
    {
        var logs = new List<OtlpLogRecord>();
        ForEachScope(data, (_, items) =>
        {
            foreach (var item in items)
            {
                var reader = new ProtobufReader(item);
                var body = string.Empty;
                var severity = 0;
                var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
                while (reader.TryReadField(out var field))
                {
                    switch (field)
                    {
                        case 2: severity = (int)reader.ReadVarint(); break;
                        case 5: body = ReadAnyValue(reader.ReadBytes()); break;
                        case 6: AddKeyValue(attributes, reader.ReadBytes()); break;
                        default: reader.Skip(); break;
                    }
                }

                logs.Add(new OtlpLogRecord(body, attributes) { SeverityNumber = severity });
            }
        });
        return logs;
    }

    // All three requests share the shape: repeated Resource*(1) { resource(1); repeated Scope*(2) { scope(1); repeated item(2) } }.
    private static void ForEachScope(byte[] data, Action<string, List<byte[]>> visit)
    {
        var request = new ProtobufReader(data);
        while (request.TryReadField(out var field))
        {
            if (field != 1)
            {
                request.Skip();
                continue;
            }

            var resource = new ProtobufReader(request.ReadBytes());
            while (resource.TryReadField(out var resourceField))
            {
                if (resourceField != 2)
                {
                    resource.Skip();
                    continue;
                }

                var scoped = new ProtobufReader(resource.ReadBytes());
                var scopeName = string.Empty;
                var items = new List<byte[]>();
                while (scoped.TryReadField(out var scopedField))
                {
                    switch (scopedField)
                    {
                        case 1: scopeName = ReadScopeName(scoped.ReadBytes()); break;
                        case 2: items.Add(scoped.ReadBytes().ToArray()); break;
                        default: scoped.Skip(); break;
                    }
                }

                visit(scopeName, items);
            }
        }
    }

    private static string ReadScopeName(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        while (reader.TryReadField(out var field))
        {
            if (field == 1)
            {
                return reader.ReadString();
            }

            reader.Skip();
        }

        return string.Empty;
    }

    // Span: trace_id(1) span_id(2) parent_span_id(4) name(5) kind(6) start(7) end(8) attributes(9) events(11) links(13) status(15).
    private static OtlpSpan ReadSpan(string scope, byte[] data)
    {
        var reader = new ProtobufReader(data);
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty, statusMessage = string.Empty;
        int kind = 0, statusCode = 0;
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var events = new List<OtlpSpanEvent>();
        var links = new List<OtlpSpanLink>();
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 1: traceId = reader.ReadHex(); break;
                case 2: spanId = reader.ReadHex(); break;
                case 4: parent = reader.ReadHex(); break;
                case 5: name = reader.ReadString(); break;
                case 6: kind = (int)reader.ReadVarint(); break;
                case 7: start = reader.ReadFixed64(); break;
                case 8: end = reader.ReadFixed64(); break;
                case 9: AddKeyValue(attributes, reader.ReadBytes()); break;
                case 11: events.Add(ReadEvent(reader.ReadBytes())); break;
                case 13: links.Add(ReadLink(reader.ReadBytes())); break;
                case 15: (statusCode, statusMessage) = ReadStatus(reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }

        return new OtlpSpan(scope, traceId, spanId, parent, name, kind, start, end, attributes, events, links, statusCode, statusMessage);
    }

    // Event: time(1) name(2) attributes(3).
    private static OtlpSpanEvent ReadEvent(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        var name = string.Empty;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 2: name = reader.ReadString(); break;
                case 3: AddKeyValue(attributes, reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }

        return new OtlpSpanEvent(name, attributes);
    }

    // Link: trace_id(1) span_id(2).
    private static OtlpSpanLink ReadLink(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        string traceId = string.Empty, spanId = string.Empty;
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 1: traceId = reader.ReadHex(); break;
                case 2: spanId = reader.ReadHex(); break;
                default: reader.Skip(); break;
            }
        }

        return new OtlpSpanLink(traceId, spanId);
    }

    // Status: message(2) code(3).
    private static (int Code, string Message) ReadStatus(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        var code = 0;
        var message = string.Empty;
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 2: message = reader.ReadString(); break;
                case 3: code = (int)reader.ReadVarint(); break;
                default: reader.Skip(); break;
            }
        }

        return (code, message);
    }

    // Metric: name(1) unit(3) gauge(5) sum(7) histogram(9) exponential_histogram(10) summary(11); each holds data_points(1)
    // whose attributes are field 7 (number points) or 9 (histogram points) or 7 (summary).
    private static OtlpMetric ReadMetric(string scope, byte[] data)
    {
        var reader = new ProtobufReader(data);
        string name = string.Empty, unit = string.Empty;
        var points = new List<IReadOnlyDictionary<string, string>>();
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 1: name = reader.ReadString(); break;
                case 3: unit = reader.ReadString(); break;
                case 5 or 7 or 11: ReadPoints(reader.ReadBytes(), attributesField: 7, points); break;
                case 9 or 10: ReadPoints(reader.ReadBytes(), attributesField: 9, points); break;
                default: reader.Skip(); break;
            }
        }

        return new OtlpMetric(scope, name, unit, points);
    }

    private static void ReadPoints(ReadOnlySpan<byte> data, int attributesField, List<IReadOnlyDictionary<string, string>> points)
    {
        var reader = new ProtobufReader(data);
        while (reader.TryReadField(out var field))
        {
            if (field != 1)
            {
                reader.Skip();
                continue;
            }

            var point = new ProtobufReader(reader.ReadBytes());
            var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
            while (point.TryReadField(out var pointField))
            {
                if (pointField == attributesField)
                {
                    AddKeyValue(attributes, point.ReadBytes());
                }
                else
                {
                    point.Skip();
                }
            }

            points.Add(attributes);
        }
    }

    // KeyValue: key(1) value(2).
    private static void AddKeyValue(Dictionary<string, string> into, ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        string key = string.Empty, value = string.Empty;
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 1: key = reader.ReadString(); break;
                case 2: value = ReadAnyValue(reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }

        into[key] = value;
    }

    // AnyValue: string(1) bool(2) int(3) double(4) array(5) kvlist(6) bytes(7); nested values are kept as their raw text.
    private static string ReadAnyValue(ReadOnlySpan<byte> data)
    {
        var reader = new ProtobufReader(data);
        while (reader.TryReadField(out var field))
        {
            switch (field)
            {
                case 1: return reader.ReadString();
                case 2: return reader.ReadVarint() != 0 ? "true" : "false";
                case 3: return ((long)reader.ReadVarint()).ToString(CultureInfo.InvariantCulture);
                case 4: return reader.ReadDouble().ToString("R", CultureInfo.InvariantCulture);
                case 5 or 6 or 7: return System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
                default: reader.Skip(); break;
            }
        }

        return string.Empty;
    }
}
