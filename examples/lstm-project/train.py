import torch
import torch.nn as nn
from torch.utils.data import DataLoader

from data import load_ag_news
from model import LSTMClassifier

device = "cuda" if torch.cuda.is_available() else "cpu"
train_set, val_set, vocab = load_ag_news()
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
val_loader = DataLoader(val_set, batch_size=256)

model = LSTMClassifier(len(vocab)).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(10):
    model.train()
    for tokens, labels in train_loader:
        tokens, labels = tokens.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(tokens)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for tokens, labels in val_loader:
            outputs = model(tokens.to(device))
            correct += (outputs.argmax(dim=1) == labels.to(device)).sum().item()
    print(f"epoch {epoch}: val accuracy {correct / len(val_set):.3f}")
