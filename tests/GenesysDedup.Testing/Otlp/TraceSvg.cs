using System.Globalization;
using System.Security;
using System.Text;

namespace GenesysDedup.Testing.Otlp;

/// <summary>
/// Draws exported spans as an SVG (docs/images/trace.svg): one block per trace that holds a <c>dedup.process</c> span,
/// each span a row indented under its parent with its bar to scale, and a dashed arrow for each span link.
/// </summary>
public static class TraceSvg
{
    /// <summary>How far a child's name is indented under its parent's, in pixels.</summary>
    public const int Indent = 14;

    private const int RowHeight = 22;
    private const int LabelWidth = 250;
    private const int BarWidth = 560;

    /// <summary>One block per trace (in the order they started), spans nested under their parents, bars to scale.</summary>
    public static string Draw(IReadOnlyList<OtlpSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var rows = new List<(OtlpSpan Span, int Depth, int Block)>();
        // Only the deliveries' traces: the receiver runs in this process, so its own requests are traced too.
        var traces = spans.GroupBy(s => s.TraceId).Where(g => g.Any(s => s.Name == "dedup.process")).OrderBy(g => g.Min(s => s.StartNanos)).ToList();
        for (var block = 0; block < traces.Count; block++)
        {
            var trace = traces[block].ToList();
            void Add(OtlpSpan span, int depth)
            {
                rows.Add((span, depth, block));
                foreach (var child in trace.Where(s => s.ParentSpanId == span.SpanId).OrderBy(s => s.StartNanos))
                {
                    Add(child, depth + 1);
                }
            }

            foreach (var root in trace.Where(s => trace.All(p => p.SpanId != s.ParentSpanId)).OrderBy(s => s.StartNanos))
            {
                Add(root, 0);
            }
        }

        var svg = new StringBuilder();
        var height = 40 + (rows.Count * RowHeight) + (traces.Count * 30);
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{LabelWidth + BarWidth + 40}" height="{height}" font-family="monospace" font-size="12">""").Append('\n');
        svg.Append("""<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#c0392b"/></marker></defs>""").Append('\n');
        svg.Append("""<rect width="100%" height="100%" fill="white"/>""").Append('\n');
        var y = 20;
        var rowY = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var block = 0; block < traces.Count; block++)
        {
            var trace = traces[block].ToList();
            var start = trace.Min(s => s.StartNanos);
            var span = Math.Max(1, trace.Max(s => s.EndNanos) - start);
            var process = trace.FirstOrDefault(s => s.Name == "dedup.process");
            var outcome = process?.Attributes.GetValueOrDefault("genesys_dedup.outcome") ?? "?";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="10" y="{y + 12}" font-weight="bold">trace {trace[0].TraceId[..8]}… ({outcome}, {span / 1e6:0.00} ms)</text>""").Append('\n');
            y += 24;
            foreach (var (s, depth, _) in rows.Where(r => r.Block == block))
            {
                var x = LabelWidth + (BarWidth * (double)(s.StartNanos - start) / span);
                var w = Math.Max(2, BarWidth * (double)(s.EndNanos - s.StartNanos) / span);
                var colour = s.StatusCode == 2 ? "#e74c3c" : s.Scope == "GenesysDedup" ? "#2e86c1" : "#95a5a6";
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{10 + (depth * Indent)}" y="{y + 14}">{SecurityElement.Escape(s.Name)}</text>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x:0.0}" y="{y + 3}" width="{w:0.0}" height="{RowHeight - 8}" fill="{colour}" rx="2"/>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Math.Min(x + w + 4, LabelWidth + BarWidth - 60):0.0}" y="{y + 14}" fill="#555">{(s.EndNanos - s.StartNanos) / 1e6:0.000} ms</text>""").Append('\n');
                rowY[s.SpanId] = y + (RowHeight / 2);
                y += RowHeight;
            }

            y += 6;
        }

        foreach (var s in spans)
        {
            foreach (var link in s.Links.Where(l => rowY.ContainsKey(l.SpanId) && rowY.ContainsKey(s.SpanId)))
            {
                var x = LabelWidth + BarWidth + 20;
                svg.Append(CultureInfo.InvariantCulture, $"""<path d="M{x - 30},{rowY[s.SpanId]} C{x},{rowY[s.SpanId]} {x},{rowY[link.SpanId]} {x - 30},{rowY[link.SpanId]}" fill="none" stroke="#c0392b" stroke-dasharray="4 3" marker-end="url(#arrow)"/>""");
                svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x - 60}" y="{(rowY[s.SpanId] + rowY[link.SpanId]) / 2}" fill="#c0392b">link</text>""").Append('\n');
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="10" y="{height - 8}" fill="#555">blue: GenesysDedup spans; grey: ASP.NET Core; red: error. Bars to scale within each trace.</text>""").Append('\n');
        return svg.Append("</svg>\n").ToString();
    }
}
