// Starts Amazon's DynamoDB Local listening on 127.0.0.1 only. DynamoDB Local has no option for the
// listening address and binds every interface, so anyone on the network could read and write a
// developer's tables. This launcher builds the server exactly as DynamoDB Local's own main does,
// then sets the host of its (not yet started) Jetty connectors before starting it. Run with the
// Java source launcher: java -cp <DynamoDBLocal.jar>:<DynamoDBLocal_lib>/* LoopbackDynamoDBLocal.java <DynamoDB Local args>
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
        bound++;
      }
    }
    // Refuse rather than serve on every interface if the server is not built as expected.
    if (bound == 0 || bound != server.getConnectors().length) {
      System.err.println("LoopbackDynamoDBLocal: cannot restrict DynamoDB Local to 127.0.0.1; refusing to start");
      System.exit(2);
    }
    proxy.start();
    System.out.println("LoopbackDynamoDBLocal: listening on 127.0.0.1 only");
    proxy.join();
  }
}
