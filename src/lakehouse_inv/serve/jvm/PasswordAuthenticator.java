package lakehouse_inv.jvm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.security.sasl.AuthenticationException;

import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * HiveServer2 CUSTOM authentication for serve-sql: every connection's password is hashed with the server's salt
 * and compared in constant time with the expected hash, which serve-sql sets as system properties before the
 * server starts (the password itself never reaches the JVM's configuration).
 */
public final class PasswordAuthenticator implements PasswdAuthenticationProvider {
    public static final String SALT = "lakehouse_inv.sql.password.salt";
    public static final String HASH = "lakehouse_inv.sql.password.sha256";

    @Override
    public void Authenticate(String user, String password) throws AuthenticationException {
        String salt = System.getProperty(SALT);
        String expected = System.getProperty(HASH);
        if (salt == null || expected == null) {
            throw new AuthenticationException("serve-sql: no password configured, every connection is refused");
        }
        byte[] given = sha256(salt + (password == null ? "" : password));
        if (!MessageDigest.isEqual(given, HexFormat.of().parseHex(expected))) {
            throw new AuthenticationException("serve-sql: wrong password for user " + user);
        }
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
