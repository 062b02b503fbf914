using System.Text;

namespace GenesysDedup.Testing;

/// <summary>
/// The lines a child process writes, kept as they arrive (from the process's asynchronous readers), and waits for a
/// line containing some text: the one line-watching buffer behind every test that runs a real process.
/// </summary>
public sealed class WatchedLines
{
    private readonly StringBuilder _text = new();
    private readonly Lock _sync = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _watches = [];

    /// <summary>Every line so far, each ended by a newline.</summary>
    public string Text
    {
        get
        {
            lock (_sync)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>Adds a line (null, the reader's end of stream, is ignored) and completes the waits it satisfies.</summary>
    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_sync)
        {
            _text.AppendLine(line);
            for (var i = _watches.Count - 1; i >= 0; i--)
            {
                if (line.Contains(_watches[i].Text, StringComparison.Ordinal))
                {
                    _watches[i].Seen.TrySetResult();
                    _watches.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>
    /// True once a line containing <paramref name="text"/> has arrived (at once if one already has); false when none
    /// arrived within <paramref name="within"/>, for the caller to fail with its own context.
    /// </summary>
    public async Task<bool> WaitForAsync(string text, TimeSpan within)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            if (_text.ToString().Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            _watches.Add((text, seen));
        }

        try
        {
            await seen.Task.WaitAsync(within).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
