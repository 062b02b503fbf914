using System.Runtime.InteropServices;

namespace GenesysDedup.Testing;

/// <summary>Sends a signal to a child process by its id through libc's <c>kill</c> (Linux numbering).</summary>
internal static partial class PosixSignal
{
    public const int Terminate = 15;
    public const int Stop = 19;
    public const int Continue = 18;

    public static void Send(int processId, int signal)
    {
        if (Kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
