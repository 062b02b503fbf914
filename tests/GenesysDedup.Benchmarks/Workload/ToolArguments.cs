using System.Globalization;

namespace GenesysDedup.Benchmarks.Workload;

/// <summary>Tiny <c>--name value</c> / <c>--flag</c> parser: this tool has a handful of options and no dependencies for them.</summary>
public sealed class ToolArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public ToolArguments(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    _values[pending] = null;
                }

                pending = arg[2..];
            }
            else if (pending is not null)
            {
                _values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }
        }

        if (pending is not null)
        {
            _values[pending] = null;
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required");

    public int GetInt32(string name, int defaultValue) =>
        Get(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : defaultValue;

    public double GetDouble(string name, double defaultValue) =>
        Get(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : defaultValue;
}
