using System.Text;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddGenesysDedup(options => options.Retention = TimeSpan.FromHours(1))
    .UseMemoryStore()                        // or .UseRedisStore(), .UseDynamoDbStore() from their packages
    .AddHandler<PrintUserActivity>("v2.users.*");
using var host = builder.Build();
var dedup = host.Services.GetRequiredService<IEventDeduplicator>();

// One EventBridge event per line on stdin; a handler runs once per unique event.
while (Console.ReadLine() is { Length: > 0 } line)
{
    var result = await dedup.ProcessAsync(Encoding.UTF8.GetBytes(line));
    Console.WriteLine($"{result.Outcome.ToWireName()} {result.Key}");
}

internal sealed class PrintUserActivity : IDedupHandler
{
    public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken)
    {
        Console.WriteLine($"handled {context.Event.TopicName}");
        return ValueTask.CompletedTask;
    }
}
