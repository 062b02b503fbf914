using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using GenesysDedup.Application;

namespace GenesysDedup.Hosts.Lambda;

/// <summary>
/// The <c>GenesysDedup</c> meter's measurements of one invocation, written as CloudWatch Embedded Metric Format lines
/// on stdout (CloudWatch Logs turns them into metrics): namespace <c>GenesysDedup</c>; <c>Events</c> by
/// <c>FunctionName</c> and <c>Outcome</c>; <c>LeaseLost</c>, <c>StoreDuration</c> and <c>HandlerDuration</c> by
/// <c>FunctionName</c>. Fed by a <see cref="MeterListener"/>, so the meter stays the one source of every figure.
/// </summary>
internal sealed class EmfMetrics : IDisposable
{
    public const string Namespace = "GenesysDedup";

    /// <summary>The most values one metric may carry in one document (the EMF specification's limit).</summary>
    public const int MaxValues = 100;

    private readonly MeterListener _listener;
    private readonly string _functionName;
    private readonly TextWriter _output;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly SortedDictionary<string, long> _events = new(StringComparer.Ordinal);
    private readonly List<double> _storeMs = [];
    private readonly List<double> _handlerMs = [];
    private long _leaseLost;

    public EmfMetrics(IMeterFactory meters, string functionName, TextWriter output, TimeProvider time)
    {
        (_functionName, _output, _time) = (functionName, output, time);
        _listener = new MeterListener
        {
            // This container's meter only: tests run several hosts in one process.
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DedupMetrics.MeterName && (instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, meters)))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(OnCount);
        _listener.SetMeasurementEventCallback<double>(OnDuration);
        _listener.Start();
    }

    /// <summary>
    /// Writes what the invocation measured and starts afresh; nothing when it measured nothing. One line, unless it
    /// saw several outcomes (one <c>Outcome</c> per document) or more than <see cref="MaxValues"/> durations of a kind.
    /// </summary>
    public void Flush()
    {
        KeyValuePair<string, long>[] events;
        double[] store, handler;
        long leaseLost;
        lock (_sync)
        {
            (events, store, handler, leaseLost) = ([.. _events], [.. _storeMs], [.. _handlerMs], _leaseLost);
            _events.Clear();
            _storeMs.Clear();
            _handlerMs.Clear();
            _leaseLost = 0;
        }

        if (events.Length == 0 && store.Length == 0 && handler.Length == 0 && leaseLost == 0)
        {
            return;
        }

        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var lines = Math.Max(1, Math.Max(events.Length, Math.Max(Chunks(store.Length), Chunks(handler.Length))));
        var buffer = new ArrayBufferWriter<byte>(512);
        for (var line = 0; line < lines; line++)
        {
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer))
            {
                WriteDocument(json, timestamp,
                    line < events.Length ? events[line] : null,
                    line == 0 ? leaseLost : null,
                    Chunk(store, line),
                    Chunk(handler, line));
            }

            // One WriteLine: the console logger writes through the same synchronised writer, so lines never interleave.
            _output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    public void Dispose() => _listener.Dispose();

    private void WriteDocument(Utf8JsonWriter json, long timestamp, KeyValuePair<string, long>? outcome, long? leaseLost, ReadOnlySpan<double> store, ReadOnlySpan<double> handler)
    {
        json.WriteStartObject();
        json.WriteStartObject("_aws"u8);
        json.WriteNumber("Timestamp"u8, timestamp);
        json.WriteStartArray("CloudWatchMetrics"u8);
        if (outcome is not null)
        {
            WriteDirective(json, ["FunctionName", "Outcome"], [("Events", "Count")]);
        }

        var byFunction = new List<(string Name, string Unit)>(3);
        if (leaseLost is not null)
        {
            byFunction.Add(("LeaseLost", "Count"));
        }

        if (!store.IsEmpty)
        {
            byFunction.Add(("StoreDuration", "Milliseconds"));
        }

        if (!handler.IsEmpty)
        {
            byFunction.Add(("HandlerDuration", "Milliseconds"));
        }

        if (byFunction.Count > 0)
        {
            WriteDirective(json, ["FunctionName"], byFunction);
        }

        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteString("FunctionName"u8, _functionName);
        if (outcome is { } seen)
        {
            json.WriteString("Outcome"u8, seen.Key);
            json.WriteNumber("Events"u8, seen.Value);
        }

        if (leaseLost is { } lost)
        {
            json.WriteNumber("LeaseLost"u8, lost);
        }

        WriteValues(json, "StoreDuration"u8, store);
        WriteValues(json, "HandlerDuration"u8, handler);
        json.WriteEndObject();
    }

    private static void WriteDirective(Utf8JsonWriter json, string[] dimensions, IReadOnlyList<(string Name, string Unit)> metrics)
    {
        json.WriteStartObject();
        json.WriteString("Namespace"u8, Namespace);
        json.WriteStartArray("Dimensions"u8);
        json.WriteStartArray();
        foreach (var dimension in dimensions)
        {
            json.WriteStringValue(dimension);
        }

        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteStartArray("Metrics"u8);
        foreach (var (name, unit) in metrics)
        {
            json.WriteStartObject();
            json.WriteString("Name"u8, name);
            json.WriteString("Unit"u8, unit);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter json, ReadOnlySpan<byte> name, ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }

    private static int Chunks(int count) => (count + MaxValues - 1) / MaxValues;

    private static ReadOnlySpan<double> Chunk(double[] values, int index) =>
        index * MaxValues < values.Length ? values.AsSpan(index * MaxValues, Math.Min(MaxValues, values.Length - (index * MaxValues))) : default;

    private void OnCount(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        lock (_sync)
        {
            switch (instrument.Name)
            {
                case "genesys_dedup.events" when Tag(tags, "outcome") is { } outcome:
                    _events[outcome] = _events.GetValueOrDefault(outcome) + value;
                    break;
                case "genesys_dedup.lease_lost":
                    _leaseLost += value;
                    break;
            }
        }
    }

    private void OnDuration(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var target = instrument.Name switch
        {
            "genesys_dedup.store.duration" => _storeMs,
            "genesys_dedup.handler.duration" => _handlerMs,
            _ => null,
        };
        if (target is null)
        {
            return;
        }

        // The meter records seconds (OpenTelemetry's convention); CloudWatch gets milliseconds, to the microsecond.
        var milliseconds = Math.Round(instrument.Unit == "ms" ? value : value * 1000, 3);
        lock (_sync)
        {
            target.Add(milliseconds);
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
