using System.Text;
using GenesysDedup.Application;
using GenesysDedup.Domain;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

// An application that already uses Mediator (source-generated) adds GenesysDedup beside it: a unique event becomes
// one of the application's own notifications.
var services = new ServiceCollection();
services.AddMediator();
services.AddGenesysDedup(options => options.Namespace = "with-mediator")
    .UseMemoryStore()
    .AddHandler<PublishToMediator>();
await using var provider = services.BuildServiceProvider();
var dedup = provider.GetRequiredService<IEventDeduplicator>();

while (Console.ReadLine() is { Length: > 0 } line)
{
    var result = await dedup.ProcessAsync(Encoding.UTF8.GetBytes(line));
    Console.WriteLine($"{result.Outcome.ToWireName()} {result.Key}");
}

internal sealed record UniqueEvent(string? Id, string? TopicName) : INotification;

internal sealed class PublishToMediator(IPublisher publisher) : IDedupHandler
{
    public ValueTask HandleAsync(DedupContext context, CancellationToken cancellationToken) =>
        publisher.Publish(new UniqueEvent(context.Event.Id, context.Event.TopicName), cancellationToken);
}

internal sealed class PrintUniqueEvent : INotificationHandler<UniqueEvent>
{
    public ValueTask Handle(UniqueEvent notification, CancellationToken cancellationToken)
    {
        Console.WriteLine($"handled {notification.TopicName} through Mediator");
        return ValueTask.CompletedTask;
    }
}
